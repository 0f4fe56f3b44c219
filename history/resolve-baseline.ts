import type { LoadSummary } from '../core/run-result.ts';
import { type LoadFigures, OVERALL_SCENARIO } from './build-run-record.ts';
import type { HistoryStore } from './history-store.ts';

/** `--baseline latest-passed`: the newest passed run of the same profile and environment. */
export const LATEST_PASSED = 'latest-passed';

/** A baseline read from history, in load/evaluate-baseline.ts' `BaselineReference` shape. */
export interface HistoryBaseline {
  label: string;
  summary?: LoadSummary;
  missing?: string;
  /** The spec named a run id the history does not hold. */
  unknownRun?: boolean;
  spread: { runs: number; values: Record<string, Record<string, number[]>> };
}

/**
 * The baseline run (`latest-passed` or a run id) and the spread of the last `runs` passed runs of
 * the same load profile in the same environment (and service, when given), newest first.
 */
export async function resolveHistoryBaseline(
  store: HistoryStore,
  query: { spec: string; profile: string; env: string; service?: string; runs: number },
): Promise<HistoryBaseline> {
  const passed = await store.loadPassedLoadRuns({
    profile: query.profile,
    env: query.env,
    ...(query.service !== undefined ? { service: query.service } : {}),
    limit: query.runs,
  });
  const spread = buildSpread(passed.map((p) => p.figures));
  if (query.spec === LATEST_PASSED) {
    const latest = passed[0];
    if (!latest) {
      return {
        label: LATEST_PASSED,
        missing: `no passed run of load profile "${query.profile}" in ${query.env} in the history (${store.file})`,
        spread,
      };
    }
    return {
      label: `run ${latest.run.runId}, latest passed`,
      summary: buildSummaryFromFigures(latest.figures, query.profile),
      spread,
    };
  }
  const run = await store.findRun(query.spec);
  if (!run) {
    return {
      label: query.spec,
      missing: `no run ${query.spec} in the history (${store.file})`,
      unknownRun: true,
      spread,
    };
  }
  const figures = (await store.loadFigures([run.runId])).get(run.runId) ?? [];
  if (figures.length === 0)
    return { label: `run ${run.runId}`, missing: `run ${run.runId} measured no load`, spread };
  return {
    label: `run ${run.runId}`,
    summary: buildSummaryFromFigures(figures, run.profile ?? query.profile),
    spread,
  };
}

/** Per scenario (`*` overall) and metric, the values of the given runs. */
function buildSpread(runs: readonly (readonly LoadFigures[])[]): HistoryBaseline['spread'] {
  const values: Record<string, Record<string, number[]>> = {};
  for (const figures of runs) {
    for (const f of figures) {
      const scenario = values[f.scenario] ?? {};
      values[f.scenario] = scenario;
      const add = (metric: string, value: number | null) => {
        if (value !== null && Number.isFinite(value)) scenario[metric] = [...(scenario[metric] ?? []), value];
      };
      add('p50', f.p50);
      add('p95', f.p95);
      add('p99', f.p99);
      add('p999', f.p999);
      add('errorRate', f.errorRate);
      add('rps', f.rps);
    }
  }
  return { runs: runs.length, values };
}

/** A LoadSummary holding what history kept of a run's load: enough to be compared with. */
function buildSummaryFromFigures(figures: readonly LoadFigures[], profile: string): LoadSummary | undefined {
  const overall = figures.find((f) => f.scenario === OVERALL_SCENARIO);
  if (!overall) return undefined;
  const latency = (f: LoadFigures) => ({
    min: 0,
    mean: f.p50,
    p50: f.p50,
    p90: f.p90 ?? f.p95,
    p95: f.p95,
    p99: f.p99,
    p999: f.p999 ?? Number.NaN,
    max: f.max ?? Number.NaN,
  });
  // The window's length, so scenario throughput (requests / window) comes out as recorded.
  const durationMs = overall.rps ? (overall.requests / overall.rps) * 1000 : 0;
  return {
    engine: 'open',
    model: 'open',
    profile,
    target: '',
    requests: overall.requests,
    rps: overall.rps ?? Number.NaN,
    errors: overall.errors,
    errorRate: overall.errorRate,
    dropped: 0,
    durationMs,
    latencyMs: latency(overall),
    statusCodes: {},
    scenarios: figures
      .filter((f) => f.scenario !== OVERALL_SCENARIO)
      .map((f) => ({
        name: f.scenario,
        requests: f.requests,
        errors: f.errors,
        errorRate: f.errorRate,
        latencyMs: latency(f),
      })),
  };
}
