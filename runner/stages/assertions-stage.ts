import {
  describeExpectation,
  evaluateExpectations,
  formatExpectationThreshold,
} from '../../assertions/evaluate-expectation.ts';
import type { Check, ExpectationResult } from '../../core/run-result.ts';
import type { Expectation } from '../../core/schema.ts';
import { type RunbookBase, resolveRunbook } from '../resolve-runbook.ts';
import type { RunContext, Stage, StageOutcome } from '../stage.ts';

/** An expectation's result as a check of the run (kind `expectation`). Pure. */
export function buildExpectationCheck(
  result: ExpectationResult,
  stage: Check['stage'] = 'assertions',
): Check {
  return {
    id: `expectation:${result.experiment ? `${result.experiment}:` : ''}${result.name}`,
    kind: 'expectation',
    name: result.name,
    status: result.status,
    measured: result.measuredMs,
    threshold: formatExpectationThreshold(result),
    unit: 'ms',
    message: result.message,
    stage,
    ...(result.runbook ? { runbook: result.runbook } : {}),
    ...(result.evidence ? { evidence: result.evidence } : {}),
  };
}

export interface AssertionsStageOptions {
  /** Only the expectations with these names. */
  names?: readonly string[];
}

/**
 * The gate's assertion stage: the suite's top-level expectations (or the `names` chosen), evaluated
 * against the run's timeline and telemetry with their deadlines. Runbooks of alarms are linked as
 * absolute paths (or URLs) so every report links them.
 */
export function createAssertionsStage(options: AssertionsStageOptions = {}): Stage {
  return {
    name: 'assertions',
    async run(context: RunContext): Promise<StageOutcome> {
      const all = context.loaded.suite.expectations;
      const chosen: Expectation[] =
        options.names && options.names.length > 0
          ? all.filter(
              (e) => options.names!.includes(describeExpectation(e)) || options.names!.includes(e.name ?? ''),
            )
          : all;
      if (chosen.length === 0) return { skipped: 'the suite declares no expectations' };
      const expectations = await evaluateExpectations(chosen, {
        timeline: context.timeline,
        telemetry: context.telemetry,
        clock: context.clock,
        signal: context.signal,
        alarms: context.loaded.suite.alarms,
        timeScale: context.env.provider === 'embedded' ? context.env.timeScale : 1,
      }).then((results) => withRunbooks(results, context));
      return { expectations, checks: expectations.map((r) => buildExpectationCheck(r)) };
    },
  };
}

/** Expectation results with their runbooks as reports link them (runner/resolve-runbook.ts). */
export function withRunbooks(results: readonly ExpectationResult[], base: RunbookBase): ExpectationResult[] {
  return results.map((r) => {
    const runbook = resolveRunbook(r.runbook, base);
    return runbook ? { ...r, runbook } : r;
  });
}
