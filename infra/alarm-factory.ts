import { aws_cloudwatch as cw, aws_cloudwatch_actions as cwActions, type aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { AlarmDefinition } from '../core/schema.ts';
import type { AlarmSpec, Signal } from './alarm-specs.ts';
import type { MetricFactory } from './metric-factory.ts';
import type { Severity } from './monitoring-profile.ts';

/** An alarm the stack deployed, by the name the suite knows it under. */
export interface RegisteredAlarm {
  /** Suite-level name: `HighErrorRate`, `Lambda-orders-ErrorRate`, `ServiceDown`. */
  name: string;
  /** Deployed name: prefix + name. */
  alarmName: string;
  alarm: cw.IAlarm;
  severity: Severity;
  source: 'suite' | 'service' | 'canary' | 'composite';
  /** Names of the alarms a composite is made of. */
  members: string[];
}

export interface AlarmFactoryProps {
  /** `environments.X.aws.alarmPrefix`. */
  prefix: string;
  topics: Record<Severity, sns.ITopic>;
  metrics: MetricFactory;
}

/**
 * Layer 2, the one owner of alarm defaults:
 * - names: the environment prefix + the suite name;
 * - TreatMissingData: errors, latency, throttles and queue depth treat missing data as not breaching
 *   (no traffic is no failure); a canary that stops reporting is breaching (nobody is watching);
 *   suite alarms keep what the suite says;
 * - DatapointsToAlarm: the tier policy's M of N; suite alarms default to N of N;
 * - actions: critical and warning alarms notify their topic on ALARM and OK, info only on ALARM.
 */
export class AlarmFactory extends Construct {
  readonly registry = new Map<string, RegisteredAlarm>();
  private readonly props: AlarmFactoryProps;

  constructor(scope: Construct, id: string, props: AlarmFactoryProps) {
    super(scope, id);
    this.props = props;
  }

  static treatMissingData(signal: Signal): cw.TreatMissingData {
    return signal === 'canary' ? cw.TreatMissingData.BREACHING : cw.TreatMissingData.NOT_BREACHING;
  }

  /** A suite alarm (CloudWatch property names), deployed as written. */
  fromDefinition(def: AlarmDefinition, dimensionOverrides: Record<string, string> = {}): cw.Alarm {
    const alarm = new cw.Alarm(this, `Suite-${def.AlarmName}`, {
      alarmName: this.alarmName(def.AlarmName),
      alarmDescription: describe(def.AlarmDescription, def.severity, def.runbook),
      metric: this.props.metrics.fromDefinition(def, dimensionOverrides),
      threshold: def.Threshold,
      comparisonOperator: def.ComparisonOperator as cw.ComparisonOperator,
      evaluationPeriods: def.EvaluationPeriods,
      datapointsToAlarm: def.DatapointsToAlarm ?? def.EvaluationPeriods,
      treatMissingData: def.TreatMissingData as cw.TreatMissingData,
      ...(def.EvaluateLowSampleCountPercentile !== undefined
        ? { evaluateLowSampleCountPercentile: def.EvaluateLowSampleCountPercentile }
        : {}),
    });
    this.register(def.AlarmName, alarm, def.severity, 'suite', []);
    return alarm;
  }

  /** A service or canary alarm from the tier's policy. */
  fromSpec(spec: AlarmSpec, source: 'service' | 'canary' = 'service'): cw.Alarm {
    const alarm = new cw.Alarm(this, spec.id, {
      alarmName: this.alarmName(spec.id),
      alarmDescription: describe(spec.description, spec.policy.severity, undefined),
      metric: this.props.metrics.fromSpec(spec.metric, spec.policy.period),
      threshold: spec.policy.threshold,
      comparisonOperator: spec.comparison as cw.ComparisonOperator,
      evaluationPeriods: spec.policy.evaluationPeriods,
      datapointsToAlarm: spec.policy.datapointsToAlarm,
      treatMissingData: AlarmFactory.treatMissingData(spec.signal),
    });
    this.register(spec.id, alarm, spec.policy.severity, source, []);
    return alarm;
  }

  /** A composite alarm over registered alarms. */
  composite(name: string, rule: cw.IAlarmRule, severity: Severity, description: string, members: string[]) {
    const alarm = new cw.CompositeAlarm(this, name, {
      compositeAlarmName: this.alarmName(name),
      alarmDescription: describe(description, severity, undefined),
      alarmRule: rule,
    });
    this.register(name, alarm, severity, 'composite', members);
    return alarm;
  }

  get(name: string): RegisteredAlarm | undefined {
    return this.registry.get(name);
  }

  all(): RegisteredAlarm[] {
    return [...this.registry.values()];
  }

  private alarmName(name: string): string {
    return `${this.props.prefix}${name}`;
  }

  private register(
    name: string,
    alarm: cw.Alarm | cw.CompositeAlarm,
    severity: Severity,
    source: RegisteredAlarm['source'],
    members: string[],
  ): void {
    if (this.registry.has(name)) throw new Error(`two alarms are named "${name}"`);
    const topic = this.props.topics[severity];
    alarm.addAlarmAction(new cwActions.SnsAction(topic));
    if (severity !== 'info') alarm.addOkAction(new cwActions.SnsAction(topic));
    this.registry.set(name, { name, alarmName: this.alarmName(name), alarm, severity, source, members });
  }
}

function describe(text: string | undefined, severity: Severity, runbook: string | undefined): string {
  return [text, `Severity: ${severity}.`, runbook ? `Runbook: ${runbook}` : undefined]
    .filter((s) => s !== undefined && s !== '')
    .join(' ');
}
