import type { TimelineRecord } from '../core/events.ts';
import type { Artifact, RunResult } from '../core/run-result.ts';

/** What a reporter is told when a run begins. */
export interface RunInfo {
  runId: string;
  command: string;
  env: string;
  outDir: string;
}

/**
 * What a reporter returns from `onEnd`: the files it wrote and what it adds to the run's result.
 * Reporters never edit the result or a written report; the multiplexer merges their additions into
 * the one RunResult in memory (Playwright's `onEnd` returning `{ status }` is the model).
 */
export interface ReporterOutput {
  /** Files written, relative to the run directory. */
  written?: string[];
  /** Artifacts to list in the result's `artifacts` (paths relative to the run directory). */
  artifacts?: Artifact[];
}

/**
 * A reporter: optional lifecycle hooks. Reporters listen, they never drive the run. Build the
 * report as a pure value (`buildX(result): string`) and write it in `onEnd`.
 */
export interface Reporter {
  readonly name: string;
  onBegin?(info: RunInfo): void | Promise<void>;
  onEvent?(record: TimelineRecord): void;
  /**
   * The run ended. `result` carries the additions of the reporters before this one, so a report
   * that lists artifacts (result.json) goes after those that add them.
   */
  onEnd?(result: RunResult): Promise<ReporterOutput | undefined> | ReporterOutput | undefined;
}

/**
 * Thrown by a reporter that did its work but saw something worth a warning (a report that rendered
 * with console errors): the multiplexer records the failure and still keeps `output`.
 */
export class ReporterWarning extends Error {
  override readonly name = 'ReporterWarning';
  readonly output: ReporterOutput;

  constructor(message: string, output: ReporterOutput) {
    super(message);
    this.output = output;
  }
}

export interface ReporterFailure {
  reporter: string;
  hook: 'onBegin' | 'onEvent' | 'onEnd';
  error: unknown;
}

/** The result with a reporter's additions: its artifacts appended, those already listed (same path) left out. */
export function addReporterOutput(result: RunResult, output: ReporterOutput | undefined): RunResult {
  const added = (output?.artifacts ?? []).filter(
    (artifact, index, all) =>
      !result.artifacts.some((a) => a.path === artifact.path) &&
      all.findIndex((a) => a.path === artifact.path) === index,
  );
  return added.length === 0 ? result : { ...result, artifacts: [...result.artifacts, ...added] };
}

/**
 * Fans hooks out to every reporter in order; a failing reporter is recorded and skipped, never fatal
 * (Playwright's multiplexer). `onEnd` hands each reporter the result with the additions of those
 * before it and returns everything they wrote and added.
 */
export class ReporterMultiplexer implements Reporter {
  readonly name = 'multiplexer';
  readonly failures: ReporterFailure[] = [];
  readonly #reporters: readonly Reporter[];

  constructor(reporters: readonly Reporter[]) {
    this.#reporters = reporters;
  }

  async onBegin(info: RunInfo): Promise<void> {
    for (const reporter of this.#reporters) {
      try {
        await reporter.onBegin?.(info);
      } catch (error) {
        this.failures.push({ reporter: reporter.name, hook: 'onBegin', error });
      }
    }
  }

  onEvent(record: TimelineRecord): void {
    for (const reporter of this.#reporters) {
      try {
        reporter.onEvent?.(record);
      } catch (error) {
        this.failures.push({ reporter: reporter.name, hook: 'onEvent', error });
      }
    }
  }

  async onEnd(result: RunResult): Promise<Required<ReporterOutput>> {
    const written: string[] = [];
    const artifacts: Artifact[] = [];
    let current = result;
    for (const reporter of this.#reporters) {
      let output: ReporterOutput | undefined;
      try {
        output = await reporter.onEnd?.(current);
      } catch (error) {
        this.failures.push({ reporter: reporter.name, hook: 'onEnd', error });
        if (error instanceof ReporterWarning) output = error.output;
      }
      written.push(...(output?.written ?? []));
      const next = addReporterOutput(current, output);
      artifacts.push(...next.artifacts.slice(current.artifacts.length));
      current = next;
    }
    return { written, artifacts };
  }
}
