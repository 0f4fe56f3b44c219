import v8 from 'node:v8';

/**
 * Asks V8 to favour a small heap (`--optimize-for-size`) while a load runs, and back to its defaults
 * when the last run ends.
 *
 * Why: an open-model run at thousands of requests per second promotes a steady trickle of short-lived
 * objects to the old generation (~0.2 MB/s at 15 000 req/s here: backing stores of undici's per-client
 * queue, objects in flight at two scavenges running). V8 sizes its first old-generation limit for a
 * process it knows nothing about yet, so the first full collection comes only after ~100 s, with
 * ~35 MB of garbage kept; after it the limit is ~25 MB. With the flag, V8 collects as it does after
 * that first collection from the start: peak RSS of the same 120 s run at 15 000 req/s 133.2 → 120.0 MB,
 * at the same throughput (load/README.md, "Memory").
 *
 * The flag is read by V8's heap at each collection; `v8.setFlagsFromString` changes it at run time.
 * Left alone when the process was started with it (or with `--no-optimize-for-size`): the user chose.
 */
export class SmallHeapPreference {
  readonly #setFlags: (flags: string) => void;
  readonly #userChose: boolean;
  #holders = 0;

  constructor(options: { setFlags?: (flags: string) => void; nodeOptions?: readonly string[] } = {}) {
    this.#setFlags = options.setFlags ?? v8.setFlagsFromString;
    const given = options.nodeOptions ?? [
      ...process.execArgv,
      ...(process.env.NODE_OPTIONS ?? '').split(/\s+/),
    ];
    this.#userChose = given.some((option) => /^--(no-)?optimize[-_]for[-_]size$/.test(option));
  }

  /** Favours a small heap until the returned function is called (once per hold; holds nest). */
  hold(): () => void {
    if (this.#userChose) return () => {};
    if (this.#holders++ === 0) this.#setFlags('--optimize-for-size');
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#holders === 0) this.#setFlags('--no-optimize-for-size');
    };
  }
}

/** The process's preference, shared by every engine in it. */
export const smallHeap = new SmallHeapPreference();
