import type { CanaryRunResult } from '../core/run-result.ts';
import type { MetricDatum } from '../telemetry/types.ts';

/** The namespace CloudWatch Synthetics publishes canary metrics in. */
export const SYNTHETICS_NAMESPACE = 'CloudWatchSynthetics';

/**
 * The metrics of one canary run, named as CloudWatch Synthetics publishes them: `SuccessPercent`
 * (100 or 0) and `Duration` (ms) with dimension `CanaryName`, and per step with `CanaryName` +
 * `StepName`. Steps that never ran (skipped) publish nothing, as in Synthetics.
 */
export function buildCanaryMetrics(
  result: Pick<CanaryRunResult, 'name' | 'status' | 'durationMs' | 'steps'>,
) {
  const canary = [{ Name: 'CanaryName', Value: result.name }];
  const data: MetricDatum[] = [
    {
      MetricName: 'SuccessPercent',
      Dimensions: canary,
      Value: result.status === 'passed' ? 100 : 0,
      Unit: 'Percent',
    },
    { MetricName: 'Duration', Dimensions: canary, Value: result.durationMs, Unit: 'Milliseconds' },
  ];
  for (const step of result.steps) {
    if (step.status === 'skipped') continue;
    const dims = [...canary, { Name: 'StepName', Value: step.name }];
    data.push(
      {
        MetricName: 'SuccessPercent',
        Dimensions: dims,
        Value: step.status === 'passed' ? 100 : 0,
        Unit: 'Percent',
      },
      { MetricName: 'Duration', Dimensions: dims, Value: step.durationMs, Unit: 'Milliseconds' },
    );
  }
  return data;
}
