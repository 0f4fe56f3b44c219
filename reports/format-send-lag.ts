import type { RunResult } from '../core/run-result.ts';

/**
 * The load's send lag as one sentence for every report, or `undefined` when the engine did not
 * measure it (closed model, autocannon, k6). When the `kpi:generator-kept-up` check failed, the
 * sentence says the generator fell behind.
 */
export function formatSendLag(result: Pick<RunResult, 'load' | 'checks'>): string | undefined {
  const lag = result.load?.sendLagMs;
  if (!lag) return undefined;
  const figures = `send lag (intended send → on the wire): p50 ${lag.p50.toFixed(1)} ms · p99 ${lag.p99.toFixed(1)} ms · max ${lag.max.toFixed(1)} ms`;
  const keptUp = result.checks.find((c) => c.id === 'kpi:generator-kept-up');
  return keptUp?.status === 'failed'
    ? `${figures} — the generator fell behind the rate, so the target got a burstier load than asked (latencies still start on the wire)`
    : figures;
}
