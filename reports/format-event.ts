import type { TimelineRecord } from '../core/events.ts';
import { formatCanaryName, STATUS_SYMBOL } from './format-value.ts';

/**
 * One human line for a timeline event, or `undefined` for events too chatty to print (most load
 * ticks). Used by the plain progress output (CI, pipes) and the live line on a TTY.
 */
export function formatEvent(record: TimelineRecord): string | undefined {
  switch (record.type) {
    case 'run.start':
      return `run ${record.runId}: ${record.command} on env ${record.env}${record.target ? ` → ${record.target}` : ''}`;
    case 'run.end':
      return `run ${record.status}`;
    case 'stage.start':
      return `stage ${record.stage} started`;
    case 'stage.end':
      return `stage ${record.stage} ${record.status} in ${record.durationMs} ms${record.message ? `: ${record.message}` : ''}`;
    case 'progress':
      return `${record.level === 'warn' ? 'warning: ' : ''}${record.stage ? `${record.stage}: ` : ''}${record.message}`;
    case 'check':
      return `${STATUS_SYMBOL[record.status]} ${record.name}: ${record.message}`;
    case 'target.start':
      return `target ${record.name} ready at ${record.url}${record.pid ? ` (pid ${record.pid})` : ''}`;
    case 'target.exit':
      return `target ${record.name} exited (${record.signal ?? record.code})`;
    case 'canary.end':
      return `canary ${formatCanaryName({ name: record.canary, ...(record.stage ? { stage: record.stage } : {}) })} ${record.status} in ${record.durationMs} ms${record.error ? `: ${record.error}` : ''}`;
    case 'load.start':
      return `load ${record.profile}: ${record.engine} engine, ${record.model} model${record.rate ? `, ${record.rate} req/s` : ''} for ${record.durationMs} ms`;
    case 'load.tick':
      return record.second % 5 === 0
        ? `load ${record.profile} ${record.second}s: ${record.rps} req/s, ${record.errors} errors, p99 ${record.p99.toFixed(1)} ms` +
            `, ${record.inFlight} in flight${record.dropped ? `, ${record.dropped} dropped` : ''}` +
            (record.connections === undefined
              ? ''
              : `, ${record.connections} connection${record.connections === 1 ? '' : 's'}`)
        : undefined;
    case 'load.end':
      if (!record.aborted) {
        return `load ${record.profile} done: ${record.requests} requests, ${record.errors} errors, ${record.dropped} dropped`;
      }
      // Interrupted after some load: its counts so far; a failed engine has none to show.
      return record.requests > 0 || record.dropped > 0
        ? `load ${record.profile} stopped before it finished, after ${record.requests} requests, ${record.errors} errors, ${record.dropped} dropped`
        : `load ${record.profile} stopped before it finished`;
    case 'experiment.start':
      return `experiment ${record.experiment} started (${record.engine}${record.dryRun ? ', dry run' : ''})`;
    case 'experiment.end':
      return `experiment ${record.experiment} ${record.status}${record.deviated ? ' (deviated)' : ''}`;
    case 'fault.start':
      return `fault ${record.faultId} injected: ${record.spec} on ${record.where}`;
    case 'fault.end':
      return `fault ${record.faultId} cleared (${record.reason})`;
    case 'alarm.state':
      return `alarm ${record.alarm}: ${record.from} → ${record.to}`;
    case 'expectation':
      return `${STATUS_SYMBOL[record.status]} expectation ${record.name}: ${record.message}`;
    default:
      return undefined;
  }
}

/** `12:04:05` of an ISO timestamp (wall clock, UTC). */
export function formatClockTime(iso: string): string {
  return iso.slice(11, 19);
}
