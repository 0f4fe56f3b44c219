import {
  aws_cloudwatch as cw,
  aws_cloudwatch_actions as cwActions,
  Duration,
  type aws_sns as sns,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { AlarmDefinition, CompositeAlarmDefinition, MathAlarmDefinition } from '../core/schema.ts';
import { buildDeployedSuiteAlarm, buildRenamedAlarmRule } from '../core/suite-alarms.ts';
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

  /**
   * A suite metric math alarm, deployed with its `Metrics` exactly as written (ids, labels, periods):
   * the definition the local gate evaluates (core/suite-alarms.ts). CDK's MathExpression would
   * rename the returned query, so the alarm's L1 properties carry the queries.
   */
  fromMathDefinition(def: MathAlarmDefinition, canaryName?: (name: string) => string | undefined): cw.Alarm {
    const deployed = buildDeployedSuiteAlarm(def, {
      alarmPrefix: this.props.prefix,
      ...(canaryName ? { canaryName } : {}),
    });
    const first = deployed.Metrics.find((q) => q.MetricStat)?.MetricStat;
    if (!first) throw new Error(`alarm ${def.AlarmName}: expected at least one MetricStat query`);
    const alarm = new cw.Alarm(this, `Suite-${def.AlarmName}`, {
      alarmName: deployed.AlarmName,
      alarmDescription: describe(def.AlarmDescription, def.severity, def.runbook),
      // Replaced by the queries below; CDK needs a metric to build the alarm.
      metric: new cw.Metric({
        namespace: first.Metric.Namespace,
        metricName: first.Metric.MetricName,
        period: Duration.seconds(first.Period),
      }),
      threshold: def.Threshold,
      comparisonOperator: def.ComparisonOperator as cw.ComparisonOperator,
      evaluationPeriods: def.EvaluationPeriods,
      datapointsToAlarm: deployed.DatapointsToAlarm,
      treatMissingData: def.TreatMissingData as cw.TreatMissingData,
      ...(def.EvaluateLowSampleCountPercentile !== undefined
        ? { evaluateLowSampleCountPercentile: def.EvaluateLowSampleCountPercentile }
        : {}),
    });
    const cfn = alarm.node.defaultChild as cw.CfnAlarm;
    cfn.namespace = undefined;
    cfn.metricName = undefined;
    cfn.statistic = undefined;
    cfn.period = undefined;
    cfn.dimensions = undefined;
    cfn.metrics = deployed.Metrics.map((q) => ({
      id: q.Id,
      ...(q.Expression !== undefined ? { expression: q.Expression } : {}),
      ...(q.MetricStat
        ? {
            metricStat: {
              metric: {
                namespace: q.MetricStat.Metric.Namespace,
                metricName: q.MetricStat.Metric.MetricName,
                ...(q.MetricStat.Metric.Dimensions
                  ? {
                      dimensions: q.MetricStat.Metric.Dimensions.map((d) => ({
                        name: d.Name,
                        value: d.Value,
                      })),
                    }
                  : {}),
              },
              period: q.MetricStat.Period,
              stat: q.MetricStat.Stat,
              ...(q.MetricStat.Unit !== undefined ? { unit: q.MetricStat.Unit } : {}),
            },
          }
        : {}),
      ...(q.ReturnData !== undefined ? { returnData: q.ReturnData } : {}),
      ...(q.Label !== undefined ? { label: q.Label } : {}),
      ...(q.Period !== undefined ? { period: q.Period } : {}),
      ...(q.AccountId !== undefined ? { accountId: q.AccountId } : {}),
    }));
    this.register(def.AlarmName, alarm, def.severity, 'suite', []);
    return alarm;
  }

  /**
   * A suite composite alarm: its rule names the deployed (prefixed) alarms the stack registered before
   * it, and depends on them; any other name is kept (an alarm of the account).
   */
  fromCompositeDefinition(def: CompositeAlarmDefinition): cw.CompositeAlarm {
    const deployed = buildDeployedSuiteAlarm(def, {
      alarmPrefix: this.props.prefix,
      isDeployed: (name) => this.registry.has(name),
    });
    const members: string[] = [];
    buildRenamedAlarmRule(def.AlarmRule, (name) => {
      if (this.registry.has(name)) members.push(name);
      return name;
    });
    const alarm = new cw.CompositeAlarm(this, `Suite-${def.AlarmName}`, {
      compositeAlarmName: deployed.AlarmName,
      alarmDescription: describe(def.AlarmDescription, def.severity, def.runbook),
      alarmRule: cw.AlarmRule.fromString(deployed.AlarmRule),
    });
    // Created after its children; an alarm the stack does not deploy is the account's own.
    for (const name of members) alarm.node.addDependency(this.registry.get(name)!.alarm);
    this.register(def.AlarmName, alarm, def.severity, 'suite', members);
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
