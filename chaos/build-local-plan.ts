import { parseDuration } from '../core/duration.ts';
import { ConfigError } from '../core/errors.ts';
import type { Experiment } from '../core/schema.ts';
import type { AlarmStateValue } from '../telemetry/types.ts';
import { alarmNameFromArn, findFisAction } from './fis-catalog.ts';
import { type FaultSpec, formatFaultSpec } from './parse-fault-spec.ts';
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
  /** The named local target. */
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
}

/**
 * The local plan of an FIS-shaped experiment (DESIGN.md, "Embedded ↔ AWS"): add-delay → latency,
 * invocation-error → error 500, http-integration-response → that status, disrupt-connectivity →
 * blackhole (scope `all`) or reset (narrower scopes), ecs:stop-task → process kill and restart,
 * fis:wait → wait, assert-alarm-state → alarm states read through the telemetry port. Faults apply
 * to `experiment.localPath`. Throws a {@link ConfigError} with every problem when the experiment
 * does not validate or an action has no local equivalent.
 */
export function buildLocalPlan(name: string, experiment: Experiment): LocalStep[] {
  const diagnostics = validateExperiment(name, experiment).filter((d) => d.severity === 'error');
  const steps: LocalStep[] = [];
  for (const [action, def] of Object.entries(experiment.actions)) {
    const spec = findFisAction(def.actionId);
    if (!spec) continue;
    const p = def.parameters;
    const durationMs = p.duration === undefined ? 0 : (parseDuration(p.duration) ?? 0);
    const percent = Number(p.invocationPercentage ?? '100');
    const match = { percent, path: experiment.localPath };
    const fault = (f: FaultSpec): LocalEffect => ({ kind: 'fault', fault: f, spec: formatFaultSpec(f) });
    let effect: LocalEffect;
    switch (spec.local) {
      case 'latency':
        effect = fault({
          kind: 'latency',
          ms: Number(p.startupDelayMilliseconds ?? '1000'),
          jitter: 0,
          ...match,
        });
        break;
      case 'error':
        effect = fault({ kind: 'error', status: 500, ...match });
        break;
      case 'http-status': {
        const status = Number(p.statusCode ?? '500');
        if (status < 400 || status > 599) {
          diagnostics.push({
            path: `experiments.${name}.actions.${action}.parameters.statusCode`,
            severity: 'error',
            message: `locally only 4xx and 5xx statuses can be injected, got ${p.statusCode}`,
          });
          continue;
        }
        effect = fault({ kind: 'error', status, ...match });
        break;
      }
      case 'network':
        effect = fault({
          kind: (p.scope ?? 'all') === 'all' ? 'blackhole' : 'reset',
          percent: 100,
          path: experiment.localPath,
        });
        break;
      case 'process-kill':
        effect = { kind: 'process', op: 'kill', target: experiment.localTarget ?? '' };
        break;
      case 'wait':
        effect = { kind: 'wait' };
        break;
      case 'none':
        // Known to FIS, no local meaning yet: refused by name (issue 22 gives each family one).
        diagnostics.push({
          path: `experiments.${name}.actions.${action}.actionId`,
          severity: 'error',
          message: def.local
            ? `${def.actionId} (${spec.family}): its local stand-in is not run on the embedded provider yet; run it on the aws provider`
            : `${def.actionId} (${spec.family}) has no local effect on the embedded provider; run it on the aws provider`,
        });
        continue;
      case 'assert-alarms':
        effect = {
          kind: 'assert-alarms',
          alarms: (p.alarmArns ?? '')
            .split(',')
            .map(alarmNameFromArn)
            .filter((a) => a !== ''),
          states: (p.alarmStates ?? '').split(',').map((s) => s.trim()) as AlarmStateValue[],
        };
        break;
    }
    steps.push({ action, actionId: def.actionId, startAfter: def.startAfter ?? [], durationMs, effect });
  }
  if (diagnostics.length > 0) {
    throw new ConfigError(
      `experiment ${name} cannot run: ${diagnostics.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
      diagnostics,
    );
  }
  return steps;
}

/** One line per step, for `--dry-run`: what would be injected where, for how long. */
export function formatLocalPlan(steps: readonly LocalStep[], where: string): string[] {
  return steps.map((s): string => {
    const after = s.startAfter.length > 0 ? ` after ${s.startAfter.join(', ')}` : '';
    const lasting = s.durationMs > 0 ? ` for ${s.durationMs / 1000}s` : '';
    switch (s.effect.kind) {
      case 'fault':
        return `${s.action} (${s.actionId}): ${s.effect.spec} on ${where}${lasting}${after}`;
      case 'process':
        return `${s.action} (${s.actionId}): ${s.effect.op} the target process${s.effect.target ? ` ${s.effect.target}` : ''} and start it again${after}`;
      case 'command':
        return `${s.action} (${s.actionId}): run ${s.effect.run.join(' ')}${s.effect.undo ? `, undo with ${s.effect.undo.join(' ')}` : ''}${after}`;
      case 'wait':
        return `${s.action} (${s.actionId}): wait${lasting}${after}`;
      case 'assert-alarms':
        return `${s.action} (${s.actionId}): assert ${s.effect.alarms.join(', ')} in ${s.effect.states.join('|')}${after}`;
      default:
        return `${s.action} (${s.actionId})`;
    }
  });
}
