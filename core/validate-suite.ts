import { type Diagnostic, diagnosticsFromZod, hasErrors } from './diagnostics.ts';
import { type Suite, suiteSchema } from './schema.ts';
import { validateNoLiteralCredentials } from './secrets.ts';

export interface SuiteValidation {
  /** Present when there are no error diagnostics. */
  suite: Suite | undefined;
  /** The suite as parsed when the schema holds, even if references do not resolve. */
  parsed?: Suite;
  diagnostics: Diagnostic[];
}

/**
 * Validates a suite config and collects every problem: schema errors first, then references that
 * do not resolve (a drill naming a missing experiment, an expectation naming an unknown alarm …).
 */
export function validateSuite(input: unknown): SuiteValidation {
  const parsed = suiteSchema.safeParse(input);
  if (!parsed.success) return { suite: undefined, diagnostics: diagnosticsFromZod(parsed.error, input) };
  const suite = parsed.data;
  const diagnostics = validateReferences(suite);
  return { suite: hasErrors(diagnostics) ? undefined : suite, parsed: suite, diagnostics };
}

function validateReferences(suite: Suite): Diagnostic[] {
  const out: Diagnostic[] = [];
  const error = (path: string, message: string) => out.push({ path, severity: 'error', message });
  const warn = (path: string, message: string) => out.push({ path, severity: 'warning', message });
  const list = (names: Iterable<string>) => {
    const all = [...names];
    return all.length ? all.map((n) => JSON.stringify(n)).join(', ') : '(none defined)';
  };

  const profiles = Object.keys(suite.load.profiles);
  const experiments = Object.keys(suite.experiments);
  const alarms = new Set(suite.alarms.map((a) => a.AlarmName));

  const seen = new Set<string>();
  suite.alarms.forEach((alarm, i) => {
    if (seen.has(alarm.AlarmName))
      error(`alarms[${i}].AlarmName`, `duplicate alarm name "${alarm.AlarmName}"`);
    seen.add(alarm.AlarmName);
  });

  const profileRef = (path: string, profile: string | undefined) => {
    if (profile !== undefined && !suite.load.profiles[profile]) {
      error(path, `unknown load profile "${profile}"; expected one of ${list(profiles)}`);
    }
  };
  const alarmRef = (path: string, alarm: string) => {
    if (!alarms.has(alarm)) error(path, `unknown alarm "${alarm}"; expected one of ${list(alarms)}`);
  };
  const experimentRef = (path: string, experiment: string) => {
    if (!suite.experiments[experiment])
      error(path, `unknown experiment "${experiment}"; expected one of ${list(experiments)}`);
  };

  profileRef('load.default', suite.load.default);
  for (const [name, profile] of Object.entries(suite.load.profiles)) {
    const at = `load.profiles.${name}`;
    if (profile.model === 'open' && profile.rate === undefined && !profile.stages?.length) {
      error(`${at}.rate`, 'an open-model profile needs a rate (requests per second) or stages');
    }
    if (profile.model === 'closed' && profile.connections === undefined) {
      error(`${at}.connections`, 'a closed-model profile needs connections');
    }
  }

  const expectationRefs = (path: string, expectations: Suite['expectations']) => {
    expectations.forEach((e, i) => {
      if ('alarm' in e) alarmRef(`${path}[${i}].alarm`, e.alarm);
    });
  };
  expectationRefs('expectations', suite.expectations);

  for (const [name, experiment] of Object.entries(suite.experiments)) {
    const at = `experiments.${name}`;
    profileRef(`${at}.load`, experiment.load);
    expectationRefs(`${at}.expect`, experiment.expect);
    const actions = Object.keys(experiment.actions);
    for (const [actionName, action] of Object.entries(experiment.actions)) {
      for (const after of action.startAfter ?? []) {
        if (!experiment.actions[after]) {
          error(
            `${at}.actions.${actionName}.startAfter`,
            `unknown action "${after}"; expected one of ${list(actions)}`,
          );
        }
      }
      for (const [key, target] of Object.entries(action.targets ?? {})) {
        if (!experiment.targets[target]) {
          error(
            `${at}.actions.${actionName}.targets.${key}`,
            `unknown target "${target}"; expected one of ${list(Object.keys(experiment.targets))}`,
          );
        }
      }
    }
    experiment.stopConditions.forEach((condition, i) => {
      if (condition.source === 'aws:cloudwatch:alarm') {
        if (!condition.value)
          error(`${at}.stopConditions[${i}].value`, 'an alarm stop condition needs the alarm name or ARN');
        else if (!condition.value.startsWith('arn:'))
          alarmRef(`${at}.stopConditions[${i}].value`, condition.value);
      }
    });
  }

  for (const [name, drill] of Object.entries(suite.drills)) {
    const at = `drills.${name}`;
    experimentRef(`${at}.experiment`, drill.experiment);
    profileRef(`${at}.load`, drill.load);
    if (drill.kind === 'alert') alarmRef(`${at}.alarm`, drill.alarm);
    if (drill.kind === 'dr' && drill.detectBy && 'alarm' in drill.detectBy)
      alarmRef(`${at}.detectBy.alarm`, drill.detectBy.alarm);
  }

  for (const [name, env] of Object.entries(suite.environments)) {
    const at = `environments.${name}`;
    if (env.provider === 'aws' && !env.region) error(`${at}.region`, 'required for the aws provider');
    if (env.demo && env.start) error(`${at}.start`, 'choose either demo: true or start, not both');
    if (env.production && env.provider === 'embedded' && env.demo) {
      warn(`${at}.production`, 'a production environment that starts the bundled demo is unusual');
    }
    for (const [header, value] of Object.entries(env.headers ?? {})) {
      for (const match of value.matchAll(/\$\{secret:([^}]+)\}/g)) {
        if (!env.secrets?.[match[1]!])
          error(`${at}.headers.${header}`, `unknown secret "${match[1]}"; declare it under secrets`);
      }
    }
  }

  out.push(...validateNoLiteralCredentials(suite));

  if (suite.canaries.files.length === 0)
    warn('canaries.files', 'no canary files: the canary stage will have nothing to run');
  return out;
}
