import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

export interface DeployedNames {
  /** The synthesized template the alarms come from (path as the test file will name it). */
  template: string;
  /** `aws.alarmPrefix` of the environment. */
  alarmPrefix: string;
  /** `aws.canaryPrefix` of the environment. */
  canaryPrefix: string;
  /** Suite canary names (their CanaryName dimensions get the canary prefix once deployed). */
  canaryNames: readonly string[];
}

interface TestFileShape {
  templates?: string[];
  alarms?: unknown[];
  tests?: {
    series?: { metric: { Dimensions?: Record<string, string> } }[];
    expect?: { alarm: string }[];
  }[];
  [key: string]: unknown;
}

/**
 * Turns an alarm test file written against the suite's alarms (e.g. demo/alarms/demo.alarms.yaml)
 * into one that tests the *deployed* alarms: the alarms come only from the synthesized template (its
 * inline `alarms` are dropped), expectations name the prefixed alarms, and series name the prefixed
 * canaries. What `opsproof alarms test` then evaluates is exactly what CloudFormation deploys.
 */
export function buildDeployedAlarmTestFile(text: string, names: DeployedNames): string {
  const file = parseYaml(text) as TestFileShape;
  const canaries = new Set(names.canaryNames);
  const out: TestFileShape = { ...file, templates: [names.template] };
  delete out.alarms;
  out.tests = (file.tests ?? []).map((test) => ({
    ...test,
    series: (test.series ?? []).map((s) => {
      const dims = s.metric.Dimensions;
      if (!dims?.CanaryName || !canaries.has(dims.CanaryName)) return s;
      return {
        ...s,
        metric: {
          ...s.metric,
          Dimensions: { ...dims, CanaryName: `${names.canaryPrefix}${dims.CanaryName}` },
        },
      };
    }),
    expect: (test.expect ?? []).map((e) => ({ ...e, alarm: `${names.alarmPrefix}${e.alarm}` })),
  }));
  return stringifyYaml(out);
}
