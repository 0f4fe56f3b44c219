import type {
  AlarmDefinition,
  CompositeAlarmDefinition,
  MathAlarmDefinition,
  SuiteAlarmDefinition,
} from './schema.ts';

export function isMathAlarm(alarm: SuiteAlarmDefinition): alarm is MathAlarmDefinition {
  return 'Metrics' in alarm;
}

export function isCompositeAlarm(alarm: SuiteAlarmDefinition): alarm is CompositeAlarmDefinition {
  return 'AlarmRule' in alarm;
}

function isMetricAlarm(alarm: SuiteAlarmDefinition): alarm is AlarmDefinition {
  return 'MetricName' in alarm;
}

/** The suite's alarms by kind, in their order: what the embedded provider and `infra/` each take. */
export function splitSuiteAlarms(alarms: readonly SuiteAlarmDefinition[]): {
  metric: AlarmDefinition[];
  math: MathAlarmDefinition[];
  composite: CompositeAlarmDefinition[];
} {
  return {
    metric: alarms.filter(isMetricAlarm),
    math: alarms.filter(isMathAlarm),
    composite: alarms.filter(isCompositeAlarm),
  };
}

// ALARM(name), OK("name with spaces"), INSUFFICIENT_DATA(arn:…) as the AlarmRule grammar writes them
// (telemetry/composite-alarm.ts): a name in double quotes (\" escapes a quote) or bare.
const stateCall = /\b(ALARM|OK|INSUFFICIENT_DATA)(\s*)\(\s*("(?:\\"|[^"])*"|[^\s()"]+)\s*\)/g;

/**
 * The AlarmRule with every alarm name passed through `rename` (e.g. the deployed, prefixed name),
 * written in double quotes; ARNs are kept. Pure.
 * @example buildRenamedAlarmRule('ALARM(A) OR OK("B c")', (n) => `p-${n}`) // 'ALARM("p-A") OR OK("p-B c")'
 */
export function buildRenamedAlarmRule(rule: string, rename: (name: string) => string): string {
  return rule.replace(stateCall, (call, fn: string, space: string, ref: string) => {
    const name = ref.startsWith('"') ? ref.slice(1, -1).replace(/\\"/g, '"') : ref;
    if (name.startsWith('arn:')) return call;
    return `${fn}${space}(${JSON.stringify(rename(name))})`;
  });
}

/** Where a suite alarm is deployed: the alarm-name prefix and dimension values to replace. */
export interface SuiteAlarmDeployment {
  /** `environments.X.aws.alarmPrefix`. */
  alarmPrefix: string;
  /** CanaryName of a suite canary → the deployed canary's name. */
  canaryName?: (name: string) => string | undefined;
  /**
   * Whether a composite's child is deployed with the prefix (a suite, service or canary alarm); an
   * alarm the account has apart from opsproof keeps its name. @defaultValue every child is
   */
  isDeployed?: (name: string) => boolean;
}

function deployedDimensions(
  dimensions: readonly { Name: string; Value: string }[] | undefined,
  deployment: SuiteAlarmDeployment,
): { Name: string; Value: string }[] | undefined {
  return dimensions?.map((d) =>
    d.Name === 'CanaryName' ? { ...d, Value: deployment.canaryName?.(d.Value) ?? d.Value } : d,
  );
}

/**
 * A math or composite suite alarm as an environment deploys it — the one definition `infra/`
 * synthesizes and the local gate evaluates (without the deployment): the name prefixed, a
 * composite's rule naming the prefixed alarms, a canary dimension naming the deployed canary,
 * DatapointsToAlarm defaulting to EvaluationPeriods as the alarm factory writes it. Pure.
 */
export function buildDeployedSuiteAlarm<T extends MathAlarmDefinition | CompositeAlarmDefinition>(
  alarm: T,
  deployment: SuiteAlarmDeployment,
): T {
  const AlarmName = `${deployment.alarmPrefix}${alarm.AlarmName}`;
  if ('AlarmRule' in alarm) {
    return {
      ...alarm,
      AlarmName,
      AlarmRule: buildRenamedAlarmRule(alarm.AlarmRule, (n) =>
        (deployment.isDeployed?.(n) ?? true) ? `${deployment.alarmPrefix}${n}` : n,
      ),
    };
  }
  return {
    ...alarm,
    AlarmName,
    DatapointsToAlarm: alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods,
    Metrics: alarm.Metrics.map((q) => {
      if (!q.MetricStat) return q;
      const Dimensions = deployedDimensions(q.MetricStat.Metric.Dimensions, deployment);
      return {
        ...q,
        MetricStat: {
          ...q.MetricStat,
          Metric: { ...q.MetricStat.Metric, ...(Dimensions ? { Dimensions } : {}) },
        },
      };
    }),
  };
}
