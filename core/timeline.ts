import { type Clock, systemClock } from './clock.ts';
import type { RecordOf, TimelineEvent, TimelineEventType, TimelineRecord } from './events.ts';

export type TimelineListener = (record: TimelineRecord) => void;

/**
 * The one ordered record of a run. Engines `emit`; listeners (reporters, expectations) are called
 * synchronously in order, and a throwing listener never breaks the emitter.
 */
export class Timeline {
  readonly #clock: Clock;
  readonly #origin: number;
  readonly #records: TimelineRecord[] = [];
  readonly #listeners = new Set<TimelineListener>();
  /** Listener failures, kept so a reporter can surface them without breaking the run. */
  readonly listenerErrors: unknown[] = [];

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
    this.#origin = clock.now();
  }

  /** Milliseconds since the timeline started (monotonic). */
  elapsed(): number {
    return this.#clock.now() - this.#origin;
  }

  emit<E extends TimelineEvent>(event: E): E & { t: number; at: string } {
    const record = {
      ...event,
      t: Math.round(this.elapsed() * 1000) / 1000,
      at: this.#clock.wall().toISOString(),
    };
    this.#records.push(record);
    for (const listener of this.#listeners) {
      try {
        listener(record);
      } catch (error) {
        this.listenerErrors.push(error);
      }
    }
    return record;
  }

  /** Subscribes; returns the unsubscribe function. */
  on(listener: TimelineListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  records(): readonly TimelineRecord[] {
    return this.#records;
  }

  ofType<T extends TimelineEventType>(type: T): RecordOf<T>[] {
    return this.#records.filter((r): r is RecordOf<T> => r.type === type);
  }

  /** The first record of `type` matching `predicate` at or after `fromT`. */
  find<T extends TimelineEventType>(
    type: T,
    predicate: (record: RecordOf<T>) => boolean = () => true,
    fromT = 0,
  ): RecordOf<T> | undefined {
    return this.ofType(type).find((r) => r.t >= fromT && predicate(r));
  }

  /** Resolves with the next matching record (or an existing one at/after `fromT`); rejects on abort. */
  waitFor<T extends TimelineEventType>(
    type: T,
    predicate: (record: RecordOf<T>) => boolean = () => true,
    options: { fromT?: number; signal?: AbortSignal } = {},
  ): Promise<RecordOf<T>> {
    const existing = this.find(type, predicate, options.fromT ?? 0);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const off = this.on((record) => {
        if (record.type === type && predicate(record as RecordOf<T>)) {
          off();
          options.signal?.removeEventListener('abort', onAbort);
          resolve(record as RecordOf<T>);
        }
      });
      const onAbort = () => {
        off();
        reject(options.signal?.reason);
      };
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
