/**
 * How many connections the open engine's pool may hold: a hill climber on throughput.
 *
 * An open model must not let the client be the bottleneck, so when requests wait for a connection the
 * pool needs more of them — if the target serves requests in parallel (a slow API, a latency fault:
 * 200 req/s × 100 ms needs 20 connections). But when the target or the generator is saturated, more
 * connections only add work: on loopback at 30 000 req/s, 1 000 connections carried ~23 000 req/s
 * where 64 carried all 30 000, and the extra in-flight requests filled the old generation. Latency
 * cannot tell the two apart (a latency fault and a queueing server both answer slowly), but the
 * outcome can: after a step up, did throughput rise?
 *
 * So the limit starts at `initial`. After two windows in a row where requests waited for a connection
 * at the limit (the pool decides what counts), it steps up by `growth`, and keeps the step if the next
 * window's throughput beat the last one's by at least `gain`. Otherwise it steps
 * back, and while requests still wait, down (÷ `growth`, not below `initial`),
 * keeping each downward step while throughput stays within 10 % — the same work on fewer connections,
 * which is how a pool that grew during a cold start or a burst gets out of an overload. When a step
 * fails it holds for `holdMs` before trying up again (doubling up to `maxHoldMs` while steps keep
 * failing). In a window with no such wait the limit drifts down to what is open (idle connections
 * close after the pool's idle timeout), never below `initial`.
 */
export interface ConnectionLimitOptions {
  /** Starting limit, and the floor. */
  initial: number;
  /** Hard cap. */
  max: number;
  /** Factor of a step up. @defaultValue 1.5 */
  growth?: number;
  /** Throughput ratio that keeps a step. @defaultValue 1.2 */
  gain?: number;
  /** Pause after a failed step. @defaultValue 1000 */
  holdMs?: number;
  /** Longest pause after repeated failed steps. @defaultValue 8000 */
  maxHoldMs?: number;
}

/** What the pool saw in one measurement window. */
export interface LimitWindow {
  /** End of the window (ms, any monotonic origin). */
  now: number;
  durationMs: number;
  /** Requests completed in the window. */
  completed: number;
  /** Whether a request waited for a connection while the pool was at its limit. */
  constrained: boolean;
  /** Connections open at the end of the window. */
  open: number;
}

export class ConnectionLimit {
  readonly #initial: number;
  readonly #max: number;
  readonly #growth: number;
  readonly #gain: number;
  readonly #holdMs: number;
  readonly #maxHoldMs: number;
  #value: number;
  /**
   * The step being measured: its direction, the limit before it, and the throughput (per ms) to
   * compare with — the last window's before an upward step, the level above for a downward one.
   */
  #trial: { up: boolean; from: number; rate: number } | undefined;
  #hold: number;
  #holdUntil = Number.NEGATIVE_INFINITY;
  /** Consecutive constrained windows. */
  #constrainedRun = 0;

  constructor(options: ConnectionLimitOptions) {
    this.#max = Math.max(1, Math.floor(options.max));
    this.#initial = Math.min(Math.max(1, Math.floor(options.initial)), this.#max);
    this.#growth = options.growth ?? 1.5;
    this.#gain = options.gain ?? 1.2;
    this.#holdMs = options.holdMs ?? 1000;
    this.#maxHoldMs = options.maxHoldMs ?? 8000;
    this.#value = this.#initial;
    this.#hold = this.#holdMs;
  }

  get value(): number {
    return this.#value;
  }

  /** A step is being measured. */
  get trying(): boolean {
    return this.#trial !== undefined;
  }

  /** Takes one window's measurements and returns the new limit. */
  update(window: LimitWindow): number {
    const rate = window.completed / Math.max(window.durationMs, 1);
    const trial = this.#trial;
    this.#trial = undefined;
    this.#constrainedRun = window.constrained ? this.#constrainedRun + 1 : 0;
    if (trial?.up) {
      if (rate >= trial.rate * this.#gain) {
        // The connections were needed: keep them, and go on while requests still wait.
        this.#hold = this.#holdMs;
        if (window.constrained) this.#stepUp(rate);
      } else {
        // Not needed; while the backlog lasts, perhaps fewer would do as well (a saturated target or
        // generator after a cold start or a burst grew the pool).
        this.#value = trial.from;
        if (!window.constrained || !this.#stepDown(trial.rate)) this.#holdAfterFailure(window.now);
      }
    } else if (trial) {
      // Fewer connections, (nearly) as much throughput: keep going down while the backlog lasts.
      if (rate >= trial.rate * DOWN_KEEPS) {
        if (!window.constrained || !this.#stepDown(trial.rate)) this.#holdAfterFailure(window.now);
      } else {
        this.#value = trial.from;
        this.#holdAfterFailure(window.now);
      }
    } else if (!window.constrained) {
      this.#value = Math.max(this.#initial, Math.min(this.#value, window.open));
      this.#hold = this.#holdMs;
    } else if (this.#constrainedRun >= PERSISTENT_WINDOWS && window.now >= this.#holdUntil) {
      // A backlog that outlasts one window: a pause and its catch-up (a GC, a stall of the target)
      // fill one window and would credit a step with the catch-up's throughput. The bar is this
      // window's throughput, not an earlier one's: a window from before a latency fault would set it
      // out of reach.
      this.#stepUp(rate);
    }
    return this.#value;
  }

  #stepUp(rate: number): void {
    if (this.#value >= this.#max) return;
    this.#trial = { up: true, from: this.#value, rate };
    this.#value = Math.min(this.#max, Math.max(this.#value + 1, Math.ceil(this.#value * this.#growth)));
  }

  #stepDown(rate: number): boolean {
    if (this.#value <= this.#initial) return false;
    this.#trial = { up: false, from: this.#value, rate };
    this.#value = Math.max(this.#initial, Math.floor(this.#value / this.#growth));
    return true;
  }

  #holdAfterFailure(now: number): void {
    this.#holdUntil = now + this.#hold;
    this.#hold = Math.min(this.#hold * 2, this.#maxHoldMs);
  }
}

/** A downward step is kept if throughput stays within this share of the level above. */
const DOWN_KEEPS = 0.9;
/** Consecutive constrained windows before a step up. */
const PERSISTENT_WINDOWS = 2;
