import type { RunResult } from '../core/run-result.ts';

/**
 * The load's send lag as one sentence for every report. When the `kpi:generator-kept-up` check
 * failed, the sentence says the generator fell behind. k6 measures no send lag, so its open-model
 * runs say so and what stands in for it; `undefined` where nothing was due at a given time (the
 * closed model, autocannon).
 */
export function formatSendLag(result: Pick<RunResult, 'load' | 'checks'>): string | undefined {
  const lag = result.load?.sendLagMs;
  if (!lag) {
    const load = result.load;
    if (load?.engine !== 'k6' || load.model !== 'open') return undefined;
    return `send lag: not measured by k6, which counts the iterations it could not start when due instead (dropped_iterations: ${load.dropped})`;
  }
  const figures = `send lag (intended send → on the wire): p50 ${lag.p50.toFixed(1)} ms · p99 ${lag.p99.toFixed(1)} ms · max ${lag.max.toFixed(1)} ms`;
  const keptUp = result.checks.find((c) => c.id === 'kpi:generator-kept-up');
  return keptUp?.status === 'failed'
    ? `${figures} — the generator fell behind the rate, so the target got a burstier load than asked (latencies still start on the wire)`
    : figures;
}
