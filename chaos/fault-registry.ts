/** The fault gateway's faults: the active ones with their TTLs and per-fault counts, and the last ended ones. */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { UsageError } from '../core/errors.ts';
import type { FaultOutcome } from './decide-fault.ts';
import { buildGlob, checkFaultTtl, type FaultSpec, formatFaultSpec } from './parse-fault-spec.ts';

/** Why a fault ended (the `fault.end` event's reason). */
export type FaultEndReason = 'completed' | 'ttl' | 'cleared' | 'stopped' | 'interrupted';

/** An active fault, as `faults()` and the control API show it. */
export interface Fault {
  id: string;
  /** Canonical SPEC string. */
  spec: string;
  fault: FaultSpec;
  ttlMs: number;
  createdAt: string;
  expiresAt: string;
  experiment?: string;
  action?: string;
  /** Requests that matched its `method` and `path` while it was active. */
  matchedRequests: number;
  /** Of those, the requests it was applied to (its `percent`; an earlier terminal fault wins). */
  injectedRequests: number;
  /** Every request the gateway served while it was active, matching or not. */
  seenRequests: number;
  /** The first distinct paths among those (at most {@link SEEN_PATHS_LIMIT}), to say what a fault missed. */
  seenPaths: string[];
  /** When it ended, for a fault that is no longer active. */
  endedAt?: string;
  endReason?: FaultEndReason;
}

/** Labels a fault carries into `GET /faults` and the timeline. */
export interface AddFaultOptions {
  experiment?: string;
  action?: string;
}

/** How many distinct paths a fault keeps as its sample of what the gateway saw. */
export const SEEN_PATHS_LIMIT = 20;
/** How many ended faults the gateway still answers for (`fault(id)`, `GET /faults/:id`). */
const ENDED_FAULTS_KEPT = 100;

/** An active fault as the request path uses it: its compiled path, its TTL timer and live counts. */
export interface ActiveFault extends Omit<Fault, 'seenPaths'> {
  pathRe: RegExp | undefined;
  stopTtl: AbortController;
  seenPaths: Set<string>;
}

export interface FaultRegistry {
  /**
   * The active faults, oldest first: a new array whenever one starts or ends, so a request reads it
   * once without copying and never sees it change.
   */
  readonly active: readonly ActiveFault[];
  /** Adds a fault the registry ends itself after `ttlMs` (at most `MAX_FAULT_TTL_MS`). */
  add(spec: FaultSpec, ttlMs: number, options?: AddFaultOptions): Fault;
  /** Ends an active fault; `false` when there is none with that id. */
  end(id: string, reason: FaultEndReason): boolean;
  /** Ends every active fault; returns how many there were. */
  endAll(reason: FaultEndReason): number;
  list(): Fault[];
  /** An active fault, or one of the last ended ones with its final counts. */
  get(id: string): Fault | undefined;
  /** Counts one request against the faults it was decided on (`outcomes[i]` is `faults[i]`'s). */
  countRequest(faults: readonly ActiveFault[], path: string, outcomes: readonly FaultOutcome[]): void;
}

export interface FaultRegistryOptions {
  clock: Clock;
  /** Called once per fault, after it was added. */
  onStart?: (fault: Fault) => void;
  /** Called once per fault, after it ended (with `endedAt`, `endReason` and its final counts). */
  onEnd?: (fault: Fault) => void;
}

export function createFaultRegistry(options: FaultRegistryOptions): FaultRegistry {
  const { clock } = options;
  const active = new Map<string, ActiveFault>();
  /** The last ended faults with their final counts, oldest first. */
  const ended = new Map<string, Fault>();
  let snapshot: ActiveFault[] = [];

  const publicFault = (f: ActiveFault): Fault => {
    const { pathRe: _p, stopTtl: _s, seenPaths, ...rest } = f;
    return { ...rest, seenPaths: [...seenPaths] };
  };

  const end = (id: string, reason: FaultEndReason): boolean => {
    const fault = active.get(id);
    if (!fault) return false;
    active.delete(id);
    snapshot = [...active.values()];
    fault.stopTtl.abort();
    const record: Fault = { ...publicFault(fault), endedAt: clock.wall().toISOString(), endReason: reason };
    ended.set(id, record);
    if (ended.size > ENDED_FAULTS_KEPT) ended.delete(ended.keys().next().value!);
    options.onEnd?.(record);
    return true;
  };

  return {
    get active() {
      return snapshot;
    },
    add(spec, ttlMs, meta = {}) {
      const ttlProblem = checkFaultTtl(ttlMs);
      if (ttlProblem) throw new UsageError(ttlProblem);
      const id = randomUUID().slice(0, 8);
      const now = clock.wall().getTime();
      const fault: ActiveFault = {
        id,
        spec: formatFaultSpec(spec),
        fault: spec,
        ttlMs,
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + ttlMs).toISOString(),
        ...(meta.experiment === undefined ? {} : { experiment: meta.experiment }),
        ...(meta.action === undefined ? {} : { action: meta.action }),
        matchedRequests: 0,
        injectedRequests: 0,
        seenRequests: 0,
        seenPaths: new Set(),
        pathRe: spec.path === undefined || spec.path === '*' ? undefined : buildGlob(spec.path),
        stopTtl: new AbortController(),
      };
      active.set(id, fault);
      snapshot = [...active.values()];
      // The TTL lives here, not in whoever added the fault: a dead controller cannot leave it behind.
      clock.sleep(ttlMs, fault.stopTtl.signal).then(
        () => end(id, 'ttl'),
        () => {},
      );
      const added = publicFault(fault);
      options.onStart?.(added);
      return added;
    },
    end,
    endAll(reason) {
      const ids = [...active.keys()];
      for (const id of ids) end(id, reason);
      return ids.length;
    },
    list: () => [...active.values()].map(publicFault),
    get(id) {
      const fault = active.get(id);
      return fault ? publicFault(fault) : ended.get(id);
    },
    countRequest(faults, path, outcomes) {
      for (let i = 0; i < faults.length; i++) {
        const fault = faults[i]!;
        // What each fault saw and matched: a fault that matched nothing must be able to say so.
        fault.seenRequests++;
        if (fault.seenPaths.size < SEEN_PATHS_LIMIT) fault.seenPaths.add(path.slice(0, 200));
        const outcome = outcomes[i];
        if (outcome === 'unmatched') continue;
        fault.matchedRequests++;
        if (outcome === 'injected') fault.injectedRequests++;
      }
    },
  };
}
