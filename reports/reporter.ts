import type { TimelineRecord } from '../core/events.ts';
import type { RunResult } from '../core/run-result.ts';

/** What a reporter is told when a run begins. */
export interface RunInfo {
  runId: string;
  command: string;
  env: string;
  outDir: string;
}

/**
 * A reporter: optional lifecycle hooks. Reporters listen, they never drive the run. Build the
 * report as a pure value (`buildX(result): string`) and write it in `onEnd`.
 */
export interface Reporter {
  readonly name: string;
  onBegin?(info: RunInfo): void | Promise<void>;
  onEvent?(record: TimelineRecord): void;
  /** Returns the paths written, relative to the run directory. */
  onEnd?(result: RunResult): Promise<string[] | undefined> | string[] | undefined;
}

export interface ReporterFailure {
  reporter: string;
  hook: 'onBegin' | 'onEvent' | 'onEnd';
  error: unknown;
}

/**
 * Fans hooks out to every reporter; a failing reporter is recorded and skipped, never fatal
 * (Playwright's multiplexer).
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

  async onEnd(result: RunResult): Promise<string[]> {
    const written: string[] = [];
    for (const reporter of this.#reporters) {
      try {
        written.push(...((await reporter.onEnd?.(result)) ?? []));
      } catch (error) {
        this.failures.push({ reporter: reporter.name, hook: 'onEnd', error });
      }
    }
    return written;
  }
}
