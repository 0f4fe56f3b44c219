import type { ProcessFaults } from '../chaos/process-faults.ts';
import type { RunContext, StartedTarget } from './stage.ts';
import { listTargets } from './targets.ts';

type TargetProcess = NonNullable<StartedTarget['process']>;

/**
 * The local engine's {@link ProcessFaults} over the targets this run started: the default target
 * (`context.target`, also reachable as `''`) and the named ones (`context.targets`), each through
 * its own `StartedTarget.process` (runner/local-target.ts). A target opsproof did not start has no
 * process to fault and is not listed.
 */
export function createProcessFaults(context: Pick<RunContext, 'env' | 'target' | 'targets'>): ProcessFaults {
  const byName = new Map<string, { process: TargetProcess; pid: () => number | undefined }>();
  for (const entry of listTargets(context.env)) {
    const started = entry.isDefault
      ? context.target
      : entry.name === undefined
        ? undefined
        : context.targets?.[entry.name]?.target;
    if (!started?.process) continue;
    const handle = { process: started.process, pid: () => started.pid };
    if (entry.isDefault) byName.set('', handle);
    if (entry.name !== undefined) byName.set(entry.name, handle);
  }
  const find = (target: string) => {
    const found = byName.get(target);
    if (found) return found;
    const known = [...byName.keys()].filter((k) => k !== '');
    const what = target === '' ? 'the default target' : `target "${target}"`;
    throw new Error(
      `${what} was not started by opsproof, so it has no process to fault${known.length > 0 ? ` (started: ${known.join(', ')})` : ''}`,
    );
  };
  return {
    targets: () => [...byName.keys()],
    kill: async (target) => find(target).process.kill('SIGKILL'),
    stop: async (target) => find(target).process.kill('SIGTERM'),
    async pause(target) {
      const found = find(target);
      found.process.pause();
      return { pid: found.pid() };
    },
    start: async (target, signal) => find(target).process.start(signal),
    async resume(target, signal) {
      const found = find(target);
      found.process.resume();
      return found.process.waitUntilReady(signal);
    },
  };
}
