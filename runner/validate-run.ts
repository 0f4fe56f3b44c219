import { type LoadedCanaries, loadCanaries } from '../canaries/load-canaries.ts';
import { planLocalExperiment, refusalDiagnostics } from '../chaos/build-local-plan.ts';
import { alarmNameFromArn, findFisAction } from '../chaos/fis-catalog.ts';
import { validateExperiment } from '../chaos/validate-experiment.ts';
import { type Diagnostic, dedupeDiagnostics } from '../core/diagnostics.ts';
import { describeError, UsageError } from '../core/errors.ts';
import type { LoadedSuite, SuiteCheck } from '../core/load-config.ts';
import type { StageName } from '../core/run-result.ts';
import type { Environment, Experiment, SuiteAlarmDefinition } from '../core/schema.ts';
import { isCompositeAlarm, isMathAlarm } from '../core/suite-alarms.ts';
import { parseAlarmRule, ruleAlarmNames } from '../telemetry/composite-alarm.ts';
import { compileMetricQueries } from '../telemetry/metric-math/compile-metric-queries.ts';
import { defaultTargetName } from './targets.ts';
import { validateTrafficDuringFaults } from './validate-traffic-during-faults.ts';

/**
 * What a run will use of the suite. Problems in these parts are errors (exit 2 before anything
 * runs); problems in the rest of the suite are warnings, so `gate --skip chaos` still runs with an
 * experiment that cannot.
 */
export interface RunScope {
  /** Experiments the run injects. */
  experiments?: 'all' | readonly string[];
  /** Canaries the run loads: the config's `canaries.files`, or `files` (relative to `cwd`). */
  canaries?: { files?: readonly string[]; cwd?: string; names?: readonly string[] };
  /** Drills the run performs (their experiments and detectors are used too). */
  drills?: readonly string[];
}

/**
 * The scope of the gate's stages after `--only` / `--skip` (as `runner/gate.ts` selects them; an
 * unknown stage name is the gate's usage error): `chaos` uses every experiment, either canary stage
 * the canary files.
 */
export function runScopeOfGate(selection: { only?: readonly string[]; skip?: readonly string[] }): RunScope {
  // `--only preflight,load` and `--only preflight load` say the same.
  const split = (names?: readonly string[]) => names?.flatMap((n) => n.split(',')).filter(Boolean) ?? [];
  const only = split(selection.only);
  const skip = split(selection.skip);
  const runs = (stage: StageName) => (only.length === 0 || only.includes(stage)) && !skip.includes(stage);
  return {
    ...(runs('chaos') ? { experiments: 'all' as const } : {}),
    ...(runs('canaries') || runs('canaries-after') ? { canaries: {} } : {}),
  };
}

export interface ValidateRunInput {
  loaded: LoadedSuite;
  /** The environment's provider: the embedded one also needs each experiment's local mapping. */
  provider: Environment['provider'];
  scope: RunScope;
  /** The environment the run uses: names of targets are checked against its `targets`. @defaultValue every environment */
  env?: string;
  /**
   * A dry run (`chaos run --dry-run`): the command prints the plan with the actions the embedded
   * provider cannot run and exits 2 naming them, so they are not errors here. @defaultValue false
   */
  dryRun?: boolean;
  /**
   * `chaos run --gateway-control`: the faults go to a gateway the user runs and sends their own
   * traffic through, so an experiment needs no load of its own. @defaultValue false
   */
  gatewayControl?: boolean;
}

/**
 * Every problem a run would meet only part-way, found before it starts (all at once, with their
 * config paths): experiments against the FIS catalog and, on the embedded provider, their local
 * mapping; canary files that do not load or export a canary; drill detectors naming no canary. The
 * schema and references (`validateSuite`) were checked when the config loaded. Canary files are
 * imported only when the run uses canaries (a drill's canary detector included): the stage imports
 * them anyway, and a second import is served from the module cache.
 */
export async function validateRun(input: ValidateRunInput): Promise<Diagnostic[]> {
  const { loaded, provider, scope } = input;
  const suite = loaded.suite;
  const out: Diagnostic[] = [];
  const drills = scope.drills ?? [];
  // The experiments the run injects itself (gate, `chaos run`); drills add theirs below.
  const injected = scope.experiments === 'all' ? Object.keys(suite.experiments) : (scope.experiments ?? []);
  const usedExperiments = new Set(injected);
  for (const drill of drills) {
    const experiment = suite.drills[drill]?.experiment;
    if (experiment) usedExperiments.add(experiment);
  }

  const alarms = suite.alarms.map((a) => a.AlarmName);
  out.push(...validateSuiteAlarms(suite.alarms, provider));
  out.push(...validateTargetNames(suite, input.env));
  for (const [name, experiment] of Object.entries(suite.experiments)) {
    const used = usedExperiments.has(name);
    const found = [
      ...validateExperiment(name, experiment, { alarms }),
      ...(provider === 'embedded'
        ? [
            ...validateLocalMapping(name, experiment, alarms, !(input.dryRun && used)),
            ...validateProcessTargets(suite, name, experiment, input.env),
          ]
        : []),
    ];
    out.push(...inScope(dedupeDiagnostics(found), used));
  }
  if (provider === 'embedded' && !input.dryRun)
    out.push(
      ...validateTrafficDuringFaults(suite, { experiments: injected, drills }, input.gatewayControl ?? false),
    );

  const canaryDetectors = Object.entries(suite.drills).flatMap(([name, drill]) =>
    drill.kind === 'dr' && drill.detectBy && 'canary' in drill.detectBy
      ? [{ drill: name, canary: drill.detectBy.canary }]
      : [],
  );
  const detectorUsed = canaryDetectors.some((d) => drills.includes(d.drill));
  if (scope.canaries || detectorUsed) {
    const fromFlags = scope.canaries?.files?.length ? scope.canaries : undefined;
    const path = fromFlags ? '--file' : 'canaries.files';
    let canaries: LoadedCanaries | undefined;
    try {
      canaries = await loadCanaries(loaded, {
        ...(fromFlags?.files ? { files: fromFlags.files } : {}),
        ...(fromFlags?.cwd ? { cwd: fromFlags.cwd } : {}),
      });
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      out.push({ path, severity: 'error', message: describeError(error) });
    }
    const names = scope.canaries?.names;
    for (const failure of canaries?.failures ?? []) {
      const used = scope.canaries !== undefined && (!names?.length || names.includes(failure.name));
      out.push(...inScope([{ path, severity: 'error', message: failure.error }], used));
    }
    if (canaries) {
      out.push(
        ...validateTargetNames(suite, input.env, {
          path,
          canaries: canaries.canaries.map((c) => ({
            name: c.definition.options.name,
            target: c.definition.options.target,
          })),
        }),
      );
      const known = [...canaries.canaries.map((c) => c.definition.options.name)];
      for (const { drill, canary } of canaryDetectors) {
        if (known.includes(canary)) continue;
        const message = `unknown canary "${canary}"; ${path} defines ${known.map((k) => `"${k}"`).join(', ') || '(none)'}`;
        out.push(
          ...inScope(
            [{ path: `drills.${drill}.detectBy.canary`, severity: 'error', message }],
            drills.includes(drill),
          ),
        );
      }
    }
  }
  return out;
}

/**
 * The check `loadCommandContext` runs once the config's schema holds, so that its problems and the
 * run's are listed together (exit 2, before anything runs); the run's warnings join the suite's,
 * which preflight prints. An unknown `--env` is reported by the caller; the check then assumes the
 * embedded provider.
 */
export function checkRun(
  scope: RunScope,
  envName: string,
  options: { dryRun?: boolean; gatewayControl?: boolean } = {},
): SuiteCheck {
  return (loaded) =>
    validateRun({
      loaded,
      provider: loaded.suite.environments[envName]?.provider ?? 'embedded',
      scope,
      ...(loaded.suite.environments[envName] ? { env: envName } : {}),
      ...(options.dryRun ? { dryRun: true } : {}),
      ...(options.gatewayControl ? { gatewayControl: true } : {}),
    });
}

/**
 * Names of targets (DESIGN.md, Targets) that the environment does not define: a load profile's
 * `target`, an experiment's `localTarget`, and (given the loaded canaries) a canary's `target`. An
 * environment with a single `target` sends everything there and ignores names. Pure.
 */
export function validateTargetNames(
  suite: LoadedSuite['suite'],
  envName: string | undefined,
  loadedCanaries?: { path: string; canaries: readonly { name: string; target: string | undefined }[] },
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const envs = Object.entries(suite.environments).filter(
    ([name, env]) => env.targets !== undefined && (envName === undefined || name === envName),
  );
  for (const [envKey, env] of envs) {
    const known = Object.keys(env.targets ?? {});
    const check = (path: string, target: string | undefined, needsUrl = true) => {
      if (
        target !== undefined &&
        needsUrl &&
        known.includes(target) &&
        env.targets?.[target]?.url === undefined
      ) {
        out.push({
          path,
          severity: 'error',
          message: `target "${target}" of environments.${envKey} has no url to send traffic to`,
        });
        return;
      }
      if (target === undefined || known.includes(target)) return;
      out.push({
        path,
        severity: 'error',
        message: `unknown target "${target}"; environments.${envKey}.targets defines ${known.map((k) => `"${k}"`).join(', ')}`,
      });
    };
    if (!loadedCanaries) {
      for (const [name, profile] of Object.entries(suite.load.profiles))
        check(`load.profiles.${name}.target`, profile.target);
      for (const [name, experiment] of Object.entries(suite.experiments)) {
        check(`experiments.${name}.localTarget`, experiment.localTarget);
        // An FIS target's local stand-in process (`targets.Db.localTarget`) needs no url.
        for (const [target, def] of Object.entries(experiment.targets))
          check(`experiments.${name}.targets.${target}.localTarget`, def.localTarget, false);
        // A stand-in's process fault names the local target it acts on.
        for (const [action, def] of Object.entries(experiment.actions))
          if (def.local && 'process' in def.local)
            check(`experiments.${name}.actions.${action}.local.target`, def.local.target, false);
      }
    }
    for (const canary of loadedCanaries?.canaries ?? [])
      check(`${loadedCanaries?.path} (canary ${canary.name})`, canary.target);
  }
  return out;
}

/**
 * Math and composite suite alarms as the evaluator will take them: a math alarm's `Metrics` compile
 * (periods, one ReturnData query, nothing refused offline), a composite's `AlarmRule` parses and
 * names suite alarms. On the embedded provider every problem is an error (the alarm could not be
 * evaluated, or a child that is not a suite alarm would keep it from ever firing); on aws, CloudWatch
 * evaluates what opsproof refuses offline and a composite may name alarms `infra/` or the account
 * deploy (service and canary alarms), so those are warnings. A rule that does not parse, or names
 * its own alarm, is an error everywhere. Pure.
 */
function validateSuiteAlarms(
  alarms: readonly SuiteAlarmDefinition[],
  provider: Environment['provider'] = 'embedded',
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const offline = provider === 'embedded' ? 'error' : 'warning';
  const names = alarms.map((a) => a.AlarmName);
  alarms.forEach((alarm, i) => {
    if (isMathAlarm(alarm)) {
      try {
        compileMetricQueries(alarm.Metrics);
      } catch (error) {
        out.push({ path: `alarms.${i}.Metrics`, severity: offline, message: describeError(error) });
      }
    } else if (isCompositeAlarm(alarm)) {
      const path = `alarms.${i}.AlarmRule`;
      let children: string[];
      try {
        children = ruleAlarmNames(parseAlarmRule(alarm.AlarmRule));
      } catch (error) {
        out.push({ path, severity: 'error', message: describeError(error) });
        return;
      }
      for (const child of children) {
        if (child === alarm.AlarmName) {
          out.push({ path, severity: 'error', message: `${child} names itself` });
        } else if (!names.includes(child)) {
          out.push({
            path,
            severity: offline,
            message: `unknown alarm "${child}"; alarms defines ${names.map((n) => `"${n}"`).join(', ')}`,
          });
        }
      }
    }
  });
  return out;
}

/**
 * What the embedded provider cannot do with an experiment that FIS could (build-local-plan.ts): its
 * refused actions (unless a dry run lists them itself) and alarms it could not read.
 */
function validateLocalMapping(
  name: string,
  experiment: Experiment,
  alarms: readonly string[],
  refusals: boolean,
): Diagnostic[] {
  const plan = planLocalExperiment(name, experiment);
  const out: Diagnostic[] = refusals ? refusalDiagnostics(plan.refused) : [];
  // Locally, alarm states are read from the embedded alarms: an alarm the suite lacks never answers.
  for (const [action, def] of Object.entries(experiment.actions)) {
    if (findFisAction(def.actionId)?.family !== 'assert-alarms') continue;
    for (const arn of (def.parameters.alarmArns ?? '').split(',')) {
      const alarm = alarmNameFromArn(arn.trim());
      if (alarm !== '' && !alarms.includes(alarm))
        out.push({
          path: `experiments.${name}.actions.${action}.parameters.alarmArns`,
          severity: 'error',
          message: `alarm "${alarm}" is not among the suite's alarms, so the embedded provider cannot read its state`,
        });
    }
  }
  return out;
}

/**
 * Process faults of an experiment (stop / terminate / reboot / failover, process stand-ins) on a local
 * target opsproof does not start, in each embedded environment the run may use: there would be no
 * process to kill. Unknown target names are `validateTargetNames`' to report. Pure.
 */
export function validateProcessTargets(
  suite: Pick<LoadedSuite['suite'], 'environments'>,
  name: string,
  experiment: Experiment,
  envName: string | undefined,
  base = `experiments.${name}`,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const envs = Object.entries(suite.environments).filter(
    ([key, env]) => env.provider === 'embedded' && (envName === undefined || key === envName),
  );
  for (const [envKey, env] of envs) {
    const names = Object.keys(env.targets ?? {});
    const defaultTarget = defaultTargetName(env);
    const plan = planLocalExperiment(name, experiment, defaultTarget ? { defaultTarget } : {});
    for (const step of plan.steps) {
      if (step.effect.kind !== 'process') continue;
      const { op, target } = step.effect;
      const path = `${base}.${step.targetPath ?? `actions.${step.action}.actionId`}`;
      if (env.targets) {
        if (!names.includes(target) || env.targets[target]?.start !== undefined) continue;
        out.push({
          path,
          severity: 'error',
          message: `${step.actionId} would ${op} target "${target}", which opsproof does not start (environments.${envKey}.targets.${target} has no start): there is no process to ${op}`,
        });
      } else if (env.start === undefined && !env.demo) {
        out.push({
          path,
          severity: 'error',
          message: `${step.actionId} would ${op} the target of environments.${envKey}, which opsproof does not start (no start or demo): there is no process to ${op}`,
        });
      }
    }
  }
  return out;
}

/** Problems of a part the run does not use become warnings, saying so. */
function inScope(diagnostics: readonly Diagnostic[], used: boolean): Diagnostic[] {
  if (used) return [...diagnostics];
  return diagnostics.map((d) =>
    d.severity === 'error'
      ? { ...d, severity: 'warning', message: `${d.message} (not used by this run)` }
      : d,
  );
}
