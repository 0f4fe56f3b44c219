/**
 * Calls `fn` once when `signal` aborts — at once when it already has (an `abort` listener added to an
 * aborted signal never fires, so work that subscribes after an `await` would otherwise run on).
 * Returns a function that unsubscribes.
 */
export function whenAborted(signal: AbortSignal | undefined, fn: () => void): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    fn();
    return () => {};
  }
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}
