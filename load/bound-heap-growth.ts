import v8 from 'node:v8';

/**
 * How far V8 lets the old generation grow past its live size before the next major GC, while a load
 * runs: `--heap-growing-percent`. V8's default picks the factor from GC and mutator speed, up to 4×;
 * a load whose target hiccups (requests wait, survive scavenges and are promoted) then grows the old
 * generation to three or four times its live size before collecting it. Bounded, the heap stays near
 * its live size plus V8's minimum step (8 MB) at the price of more frequent major GCs, which are
 * mostly concurrent: at 16 000 req/s for 300 s, see load/README.md, "Memory".
 */
export const HEAP_GROWING_PERCENT = 50;

const FLAG = 'heap-growing-percent';
/** V8's own value: 0 = pick the factor dynamically. */
const V8_DEFAULT = 0;

let holders = 0;

/**
 * Bounds V8's old-generation growth until the returned release is called (by every holder, when runs
 * overlap). A `--heap-growing-percent` the process was started with is the user's choice and is left
 * alone; so is everything when `setFlags` fails.
 */
export function boundHeapGrowth(
  setFlags: (flags: string) => void = v8.setFlagsFromString,
  execArgv: readonly string[] = process.execArgv,
): () => void {
  if (execArgv.some((arg) => arg.replaceAll('_', '-').startsWith(`--${FLAG}`))) return () => {};
  const set = (value: number) => {
    try {
      setFlags(`--${FLAG}=${value}`);
    } catch {
      // Best effort: the heap is then sized as V8 decides.
    }
  };
  if (holders++ === 0) set(HEAP_GROWING_PERCENT);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders === 0) set(V8_DEFAULT);
  };
}
