import type { RunContext } from './stage.ts';

/**
 * Waits (at most 1.5 s) for the load tick that closes the second containing `endT`, when a load is
 * running: an outage shorter than a second otherwise ends before any tick reports it.
 */
export async function awaitClosingTick(
  context: Pick<RunContext, 'timeline' | 'signal'>,
  endT: number,
): Promise<void> {
  const { timeline } = context;
  const running = timeline.ofType('load.start').length > timeline.ofType('load.end').length;
  if (!running || timeline.find('load.tick', (r) => r.t >= endT, endT)) return;
  try {
    await timeline.waitFor('load.tick', (r) => r.t >= endT, {
      fromT: endT,
      signal: AbortSignal.any([context.signal, AbortSignal.timeout(1500)]),
    });
  } catch (error) {
    if (context.signal.aborted) throw error;
  }
}
