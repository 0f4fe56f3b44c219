/** Which of the active faults a request meets, and what is done to it (pure, given a random source). */
import type { FaultSpec } from './parse-fault-spec.ts';

/** What one fault did to one request: not matched, matched but not chosen by its `percent`, or applied. */
export type FaultOutcome = 'unmatched' | 'matched' | 'injected';

/** A fault as the decision reads it: its SPEC and its compiled `path` (`undefined`: every path). */
export interface MatchableFault {
  fault: FaultSpec;
  pathRe: RegExp | undefined;
}

export interface FaultDecision<F extends MatchableFault> {
  /** Added latency in ms: the sum of the applied latency faults. */
  delayMs: number;
  /** The error / reset / blackhole applied after the delay, if any. */
  terminal: F | undefined;
  /** Per fault, in the order given. */
  outcomes: FaultOutcome[];
}

/**
 * Decides a request against the active faults, in the order they were added (chaos/README.md,
 * "Fault SPEC"): a fault matches by `method` and `path` (without query), then applies to `percent`
 * of its matches; applied latencies add up (each `ms ± jitter`, never below 0); the first applied
 * error / reset / blackhole is the terminal fault, a later one is matched but not applied.
 * `random` is called once per matched fault with `percent` < 100 and once per applied latency, in order.
 */
export function decideFault<F extends MatchableFault>(
  faults: readonly F[],
  method: string | undefined,
  path: string,
  random: () => number,
): FaultDecision<F> {
  let delayMs = 0;
  let terminal: F | undefined;
  const outcomes: FaultOutcome[] = new Array(faults.length);
  for (let i = 0; i < faults.length; i++) {
    const candidate = faults[i]!;
    const f = candidate.fault;
    if (
      (f.method !== undefined && f.method !== method) ||
      (candidate.pathRe && !candidate.pathRe.test(path))
    ) {
      outcomes[i] = 'unmatched';
      continue;
    }
    if (f.percent < 100 && random() * 100 >= f.percent) {
      outcomes[i] = 'matched';
      continue;
    }
    if (f.kind === 'latency') {
      delayMs += Math.max(0, f.ms + (random() * 2 - 1) * f.jitter);
      outcomes[i] = 'injected';
    } else if (!terminal) {
      terminal = candidate;
      outcomes[i] = 'injected';
    } else outcomes[i] = 'matched';
  }
  return { delayMs, terminal, outcomes };
}
