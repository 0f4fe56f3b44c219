import v8 from 'node:v8';

/**
 * Asks V8 to favour a small heap (`--optimize-for-size`) while a load runs, and restores its default
 * when the last run in the process ends.
 *
 * Why: an open-model run at thousands of requests per second promotes a steady trickle of objects to
 * the old generation (~0.2 MB/s at 15 000 req/s here; the largest share is the backing store of
 * undici's per-connection request queue, which lives for ~256 requests). V8 sizes its first
 * old-generation limit for a process it knows nothing about yet, so with its defaults the first full
 * collection came only after ~105 s, with ~34 MB to free; after it, one came every 12–25 s at ~25 MB.
 * With the flag, full collections come every ~10–20 s from the start: peak RSS of a 120 s run at
 * 15 000 req/s 133.2 → 120.0 MB; in the bench's 5-minute peer runs 132.1–136.1 → 117.8–121.9 MB.
 * V8 also keeps the young generation smaller. Throughput differences seen in saturated pairs followed
 * the order of the runs, not the flag (load/README.md, "Memory").
 *
 * V8 reads the flag when it decides (heap limits at each collection, some compiler choices);
 * `v8.setFlagsFromString` changes it at run time. A process started with `--optimize-for-size` or
 * `--no-optimize-for-size` on node's command line (node refuses it in NODE_OPTIONS) is left alone.
 */
export class SmallHeapPreference {
  readonly #setFlags: (flags: string) => void;
  readonly #userChose: boolean;
  #holders = 0;

  constructor(
    options: {
      /** Sets V8 flags. @defaultValue v8.setFlagsFromString */
      setFlags?: (flags: string) => void;
      /** node's command-line options. @defaultValue process.execArgv */
      nodeOptions?: readonly string[];
    } = {},
  ) {
    this.#setFlags = options.setFlags ?? v8.setFlagsFromString;
    const given = options.nodeOptions ?? process.execArgv;
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
