import type { RunResult } from '../core/run-result.ts';
import { buildRunRecord } from './build-run-record.ts';
import { detectCommit } from './detect-commit.ts';
import { openHistoryStore } from './history-store.ts';

/**
 * A reporter (reports/reporter.ts' shape: history imports only core) that files the finished run in
 * the history database. It throws on failure, so the multiplexer warns and the run goes on.
 */
export function createHistoryReporter(options: { file: string; runDir?: string; cwd?: string }): {
  readonly name: string;
  onEnd(result: RunResult): Promise<{ written?: string[] }>;
} {
  return {
    name: 'history',
    async onEnd(result) {
      const store = await openHistoryStore(options.file);
      try {
        await store.record(
          buildRunRecord(result, {
            commit: detectCommit(process.env, options.cwd),
            runDir: options.runDir ?? null,
          }),
        );
      } finally {
        store.close();
      }
      // The database lives outside the run directory: nothing written there, nothing added to the result.
      return {};
    },
  };
}
