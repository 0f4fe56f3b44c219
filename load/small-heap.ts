import v8 from 'node:v8';

/**
 * Asks V8 to favour a small heap (`--optimize-for-size`) while a load runs, and restores its default
 * when the last run in the process ends.
 *
 * Why: at thousands of requests per second a steady trickle of objects reaches the old generation, and
 * with its defaults V8 lets it pile up for minutes before the first full collection; the measurements are in
 * load/README.md ("Memory", "Why the flag").
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
