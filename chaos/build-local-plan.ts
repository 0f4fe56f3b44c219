import type { Diagnostic } from '../core/diagnostics.ts';
import { parseDuration } from '../core/duration.ts';
import { ConfigError } from '../core/errors.ts';
import type { Experiment, ExperimentAction } from '../core/schema.ts';
import type { AlarmStateValue } from '../telemetry/types.ts';
import {
  alarmNameFromArn,
  type FisActionSpec,
  findFisAction,
  type LocalFamily,
  type LocalMapping,
} from './fis-catalog.ts';
import { type FaultSpec, formatFaultSpec, parseFaultSpec } from './parse-fault-spec.ts';
import { validateExperiment } from './validate-experiment.ts';

/**
 * A process fault on a named local target (`environments.X.targets.NAME`, or the default target):
 * `kill` is SIGKILL, `stop` is SIGTERM (a graceful stop, then SIGKILL after a grace period), `pause`
 * is SIGSTOP. The target is always running again when the step ends: a killed or stopped target is
 * started again after the step's `durationMs` (0: at once, as an orchestrator replaces a task), a
 * paused one gets SIGCONT after it.
 */
export interface ProcessFault {
  op: 'kill' | 'stop' | 'pause';
  /** The named local target; `''` in an environment with a single unnamed `target`. */
  target: string;
}

/** What one FIS action does on the embedded provider. */
export type LocalEffect =
  | { kind: 'fault'; fault: FaultSpec; spec: string }
  | ({ kind: 'process' } & ProcessFault)
  | { kind: 'command'; run: string[]; undo?: string[] }
  | { kind: 'wait' }
  | { kind: 'assert-alarms'; alarms: string[]; states: AlarmStateValue[] };

export interface LocalStep {
  action: string;
  actionId: string;
  startAfter: string[];
  /** How long the effect lasts; 0 for instant actions (stop-task, assert-alarm-state). */
  durationMs: number;
  effect: LocalEffect;
  /** The effect is the action's `local` stand-in, not the action's own local meaning. */
  standIn?: boolean;
  /**
   * Process faults: where the target's name comes from, relative to the experiment
   * (`actions.a.local.target`, `targets.Db.localTarget`, `localTarget`); absent: the default target.
   */
  targetPath?: string;
}

/** An action the embedded provider cannot run, and why. */
export interface RefusedAction {
  action: string;
  actionId: string;
  /** Config path of what to change (the action id, or the parameter that cannot be reproduced). */
  path: string;
  /** Why, e.g. `aws:ecs:task-cpu-stress (stress) has no local effect on the embedded provider; …`. */
  reason: string;
}

/** The local plan of an experiment, every action accounted for. */
export interface LocalPlan {
  /** Every action in the experiment's order: its step, or why it cannot run here. */
  entries: (LocalStep | RefusedAction)[];
  steps: LocalStep[];
  refused: RefusedAction[];
  /** The experiment's own errors (`validateExperiment`): actions they concern are left out. */
  errors: Diagnostic[];
}

export interface LocalPlanOptions {
  /**
   * The environment's default target, for process faults whose action names no `localTarget`
   * (the runner's `listTargets` default). @defaultValue `''`: the single unnamed target
   */
  defaultTarget?: string;
  /** Config path of the experiment in diagnostics (a template file: `template`). @defaultValue `experiments.<name>` */
  path?: string;
}

/** The gateway fault of each network family, before the action's `localMapping`. */
const NETWORK_FAULT: Partial<Record<LocalFamily, 'latency' | 'blackhole' | 'reset'>> = {
  'network/latency': 'latency',
  // A lost packet is not answered: per HTTP request that is a held request (blackhole), not a reset.
  'network/packet-loss': 'blackhole',
  'network/blackhole': 'blackhole',
  'network/disrupt': 'blackhole',
};

/** The process op of each process family, before the action's `localMapping`. */
const PROCESS_OP: Partial<Record<LocalFamily, ProcessFault['op']>> = {
  'process/kill': 'kill',
  'process/terminate': 'kill',
  'process/failover': 'kill',
  'process/stop': 'stop',
  'process/reboot': 'stop',
};

/** Stand-in process ops (the schema's words) as process faults. */
const STAND_IN_OP: Record<'kill' | 'restart' | 'pause', ProcessFault['op']> = {
  kill: 'kill',
  restart: 'stop',
  pause: 'pause',
};

/**
 * The local plan of an FIS-shaped experiment (DESIGN.md, "Experiments"), by each action's family
 * (chaos/README.md has the table): network latency / packet loss / blackhole / disruption and Lambda
 * invocation faults → gateway faults on `experiment.localPath`; stop / terminate / reboot / failover
 * → process faults of the named local target; wait; assert-alarm-state → alarm states read through
 * the telemetry port. An action's `local` stand-in wins over its own meaning; an action with neither
 * is refused with the reason. Never throws: see {@link buildLocalPlan}.
 */
export function planLocalExperiment(
  name: string,
  experiment: Experiment,
  options: LocalPlanOptions = {},
): LocalPlan {
  const base = options.path ?? `experiments.${name}`;
  const errors = validateExperiment(name, experiment, { path: base }).filter((d) => d.severity === 'error');
  const plan: LocalPlan = { entries: [], steps: [], refused: [], errors };
  for (const [action, def] of Object.entries(experiment.actions)) {
    const spec = findFisAction(def.actionId);
    const at = `${base}.actions.${action}`;
    // Its problems are reported by the validation; a plan of it would only add noise.
    if (!spec || errors.some((d) => d.path === at || d.path.startsWith(`${at}.`))) continue;
    const planned = planAction(action, def, spec, experiment, options);
    if ('reason' in planned) {
      const refused = {
        action,
        actionId: def.actionId,
        path: `${at}.${planned.path}`,
        reason: planned.reason,
      };
      plan.refused.push(refused);
      plan.entries.push(refused);
    } else {
      const step = { action, actionId: def.actionId, startAfter: def.startAfter ?? [], ...planned };
      plan.steps.push(step);
      plan.entries.push(step);
    }
  }
  return plan;
}

/**
 * {@link planLocalExperiment}'s steps, or a {@link ConfigError} with every problem (the experiment's
 * errors and each refused action, with its path) when the experiment cannot run locally.
 */
export function buildLocalPlan(
  name: string,
  experiment: Experiment,
  options: LocalPlanOptions = {},
): LocalStep[] {
  const plan = planLocalExperiment(name, experiment, options);
  const diagnostics = [...plan.errors, ...refusalDiagnostics(plan.refused)];
  if (diagnostics.length > 0) {
    throw new ConfigError(
      `experiment ${name} cannot run: ${diagnostics.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
      diagnostics,
    );
  }
  return plan.steps;
}

/** Refused actions as the errors a run reports (exit 2 before anything starts). */
export function refusalDiagnostics(refused: readonly RefusedAction[]): Diagnostic[] {
  return refused.map((r) => ({ path: r.path, severity: 'error', message: r.reason }));
}

type Planned =
  | Pick<LocalStep, 'durationMs' | 'effect' | 'standIn' | 'targetPath'>
  | { path: string; reason: string };

function planAction(
  action: string,
  def: ExperimentAction,
  spec: FisActionSpec,
  experiment: Experiment,
  options: LocalPlanOptions,
): Planned {
  const p = def.parameters;
  /** A parameter as given, else FIS's default. */
  const param = (key: string | undefined): string | undefined =>
    key === undefined ? undefined : (p[key] ?? spec.parameters[key]?.default);
  const ms = (key: string | undefined): number => {
    const value = param(key);
    return value === undefined ? 0 : (parseDuration(value) ?? 0);
  };
  // How long the action lasts: `duration`, or an SSM automation's `maxDuration`.
  const lasting = ms(spec.parameters.duration ? 'duration' : 'maxDuration');
  const fault = (f: FaultSpec, standIn = false): Planned => ({
    durationMs: lasting,
    effect: { kind: 'fault', fault: f, spec: formatFaultSpec(f) },
    ...(standIn ? { standIn } : {}),
  });

  if (def.local) {
    if ('fault' in def.local) {
      if (lasting === 0)
        return {
          path: 'local.fault',
          reason: `a fault stand-in lasts the action's duration, and ${def.actionId} has none; use a process or command stand-in`,
        };
      const f = parseFaultSpec(def.local.fault);
      return fault(f.path === undefined ? { ...f, path: experiment.localPath } : f, true);
    }
    if ('process' in def.local)
      return {
        durationMs: lasting,
        effect: { kind: 'process', op: STAND_IN_OP[def.local.process], target: def.local.target },
        standIn: true,
        targetPath: `actions.${action}.local.target`,
      };
    return {
      durationMs: lasting,
      effect: { kind: 'command', run: def.local.run, ...(def.local.undo ? { undo: def.local.undo } : {}) },
      standIn: true,
    };
  }

  const meaning = localMeaningOf(def, spec);
  if ('reason' in meaning) return meaning;
  const { family, mapping } = meaning;
  const mapped = (key: string | undefined) => (key === undefined ? undefined : meaning.read(key));
  const share = (mapping.percent ?? []).reduce((acc, key) => (acc * Number(mapped(key) ?? '100')) / 100, 100);
  const match = { percent: Math.round(share * 100) / 100, path: experiment.localPath };
  const networkFault = mapping.fault ?? NETWORK_FAULT[family];
  if (family === 'lambda-invocation' || networkFault !== undefined) {
    switch (networkFault) {
      case 'latency':
        return fault({
          kind: 'latency',
          ms: Number(mapped(mapping.delayMs) ?? '0'),
          jitter: Number(mapped(mapping.jitterMs) ?? '0'),
          ...match,
        });
      case 'error': {
        const status = Number(mapped(mapping.status) ?? '500');
        if (status < 400 || status > 599)
          return {
            path: `parameters.${mapping.status}`,
            reason: `locally only 4xx and 5xx statuses can be injected, got ${mapped(mapping.status)}`,
          };
        return fault({ kind: 'error', status, ...match });
      }
      case 'blackhole':
      case 'reset': {
        const scope = mapped(mapping.scope);
        const kind = scope === undefined || scope === 'all' ? networkFault : 'reset';
        return fault({ kind, ...match });
      }
      case undefined:
        break;
    }
  }

  const op = PROCESS_OP[family];
  if (op !== undefined) {
    const signal = mapped(mapping.signal);
    const [target, targetPath] = processTarget(def, spec, experiment, options);
    return {
      // A down time is an action parameter (an ISO duration); no SSM document names one.
      durationMs: ms(mapping.downFor),
      effect: {
        kind: 'process',
        op: mapping.op ?? (signal === undefined ? op : signal === 'SIGKILL' ? 'kill' : 'stop'),
        target,
      },
      ...(targetPath === undefined ? {} : { targetPath }),
    };
  }
  if (family === 'wait') return { durationMs: lasting, effect: { kind: 'wait' } };
  if (family === 'assert-alarms')
    return {
      durationMs: 0,
      effect: {
        kind: 'assert-alarms',
        alarms: (p.alarmArns ?? '')
          .split(',')
          .map(alarmNameFromArn)
          .filter((a) => a !== ''),
        states: (p.alarmStates ?? '').split(',').map((s) => s.trim()) as AlarmStateValue[],
      },
    };
  return {
    path: 'actionId',
    reason: `${def.actionId} (${family}) has no local effect on the embedded provider; give it a local stand-in (a fault SPEC, a process fault or a command) or run it on the aws provider`,
  };
}

/**
 * The family and mapping an action is planned by, and how the values its mapping names are read: the
 * action's own, or for `aws:ssm:send-command` those of the SSM document it runs (`documentParameters`).
 */
function localMeaningOf(
  def: ExperimentAction,
  spec: FisActionSpec,
):
  | { family: LocalFamily; mapping: LocalMapping; read: (key: string) => string | undefined }
  | { path: string; reason: string } {
  const own = spec.localMapping ?? {};
  if (!own.documents)
    return {
      family: spec.family,
      mapping: own,
      read: (key) => def.parameters[key] ?? spec.parameters[key]?.default,
    };
  const document = (def.parameters.documentArn ?? '').split('/').pop() ?? '';
  const known = own.documents[document];
  if (!known)
    return {
      path: 'parameters.documentArn',
      reason: `${def.actionId} runs ${document}, which has no local effect on the embedded provider (those with one: ${Object.keys(own.documents).join(', ')}); give it a local stand-in (a fault SPEC, a process fault or a command) or run it on the aws provider`,
    };
  // A JSON object of strings (validated); FIS passes numbers as written.
  const given = JSON.parse(def.parameters.documentParameters ?? '{}') as Record<string, unknown>;
  return {
    family: known.family,
    mapping: known.localMapping ?? {},
    read: (key) => (given[key] === undefined ? known.defaults?.[key] : String(given[key])),
  };
}

/**
 * The local target a process action acts on, and the path that named it: its FIS target's
 * `localTarget`, else the experiment's, else the environment's default.
 */
function processTarget(
  def: ExperimentAction,
  spec: FisActionSpec,
  experiment: Experiment,
  options: LocalPlanOptions,
): [string, string | undefined] {
  const targetName = spec.targetKey === undefined ? undefined : def.targets?.[spec.targetKey];
  const named = targetName === undefined ? undefined : experiment.targets[targetName]?.localTarget;
  if (named !== undefined) return [named, `targets.${targetName}.localTarget`];
  if (experiment.localTarget !== undefined) return [experiment.localTarget, 'localTarget'];
  return [options.defaultTarget ?? '', undefined];
}

/**
 * One line per action, for `--dry-run`: what would be injected where and for how long, the stand-in
 * (marked), or why the action cannot run on the embedded provider.
 */
export function formatLocalPlan(entries: readonly (LocalStep | RefusedAction)[], where: string): string[] {
  return entries.map((s): string => {
    const head = `${s.action} (${s.actionId}): `;
    if ('reason' in s) return `${head}cannot run here: ${s.reason}`;
    const after = s.startAfter.length > 0 ? ` after ${s.startAfter.join(', ')}` : '';
    const lasting = s.durationMs > 0 ? ` for ${s.durationMs / 1000}s` : '';
    const standIn = s.standIn ? 'stand-in: ' : '';
    switch (s.effect.kind) {
      case 'fault':
        return `${head}${standIn}${s.effect.spec} on ${where}${lasting}${after}`;
      case 'process': {
        const target = s.effect.target ? `target ${s.effect.target}` : 'the target';
        const back =
          s.effect.op === 'pause'
            ? `, resume it${lasting ? ` after ${s.durationMs / 1000}s` : ' at once'}`
            : `, start it again${lasting ? ` after ${s.durationMs / 1000}s` : ' at once'}`;
        const verb = { kill: 'kill (SIGKILL)', stop: 'stop (SIGTERM)', pause: 'pause (SIGSTOP)' }[
          s.effect.op
        ];
        return `${head}${standIn}${verb} ${target}${back}${after}`;
      }
      case 'command':
        return `${head}${standIn}run ${s.effect.run.join(' ')}${s.effect.undo ? `, undo with ${s.effect.undo.join(' ')}` : ''}${lasting}${after}`;
      case 'wait':
        return `${head}wait${lasting}${after}`;
      case 'assert-alarms':
        return `${head}assert ${s.effect.alarms.join(', ')} in ${s.effect.states.join('|')}${after}`;
      default:
        return `${s.action} (${s.actionId})`;
    }
  });
}
