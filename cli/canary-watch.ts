import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { type ExitCode, UsageError } from '../core/errors.ts';
import {
  addCommonFlags,
  addHistoryFlag,
  type CommonFlags,
  collect,
  loadCommandContext,
  loadRunSecrets,
  prepareRunDir,
  printHuman,
} from './command-kit.ts';
import { parseDurationFlag } from './duration-flag.ts';
import { recordCanaryRound } from './history.ts';

export interface CanaryWatchFlags extends CommonFlags {
  every: string;
  url?: string;
  file?: string[];
  /** Stop after N runs (tests, cron-like use). */
  runs?: string;
}

export function registerCanaryWatch(canary: Command): void {
  const command = canary
    .command('watch')
    .description('run canaries on a schedule (local stand-in for Synthetics) until Ctrl-C')
    .argument('[names...]', 'canaries to run (default: all)');
  addCommonFlags(command);
  addHistoryFlag(command);
  command
    .option('--every <duration>', 'interval between runs', '5m')
    .option('--url <url>', 'base URL to run against instead of the environment target')
    .option('--file <file>', 'canary file (*.canary.ts) outside the config (repeatable)', collect)
    .option('--runs <n>', 'stop after this many runs')
    .action(async (names: string[], flags: CanaryWatchFlags) => {
      process.exitCode = await runCanaryWatch(names, flags);
    });
}

export async function runCanaryWatch(names: string[], flags: CanaryWatchFlags): Promise<ExitCode> {
  const everyMs = parseDurationFlag('every', flags.every, '1m or 5m');
  if (everyMs < 1000) throw new UsageError(`--every expects a duration of at least 1s, got "${flags.every}"`);
  const maxRuns = flags.runs === undefined ? undefined : Number(flags.runs);
  if (maxRuns !== undefined && (!Number.isInteger(maxRuns) || maxRuns < 1))
    throw new UsageError('--runs expects a positive integer');
  // A canary file that does not load or export a canary exits 2 before the first run.
  const { checkRun } = await import('../runner/validate-run.ts');
  const files = flags.file?.length ? { files: flags.file, cwd: process.cwd() } : {};
  const context = await loadCommandContext(flags, {
    check: checkRun({ canaries: { names, ...files } }, flags.env),
  });
  const { loaded } = context;
  for (const warning of loaded.warnings) printHuman(`warning: ${warning}`);
  // As for `canary run`: snippets, screenshots and printed errors go through the run's redactor.
  const { env, redactor } = await loadRunSecrets(context);
  const [
    { loadCanaries },
    { runCanaries },
    { watchCanaries },
    { Timeline },
    { startLocalTarget },
    { createInterruptSignal, createRunId },
    { createTelemetry },
    { redactRunDir },
    { resolveHistoryFile },
  ] = await Promise.all([
    import('../canaries/load-canaries.ts'),
    import('../canaries/run-canaries.ts'),
    import('../canaries/watch-canaries.ts'),
    import('../core/timeline.ts'),
    import('../runner/local-target.ts'),
    import('../runner/run.ts'),
    import('../telemetry/create-telemetry.ts'),
    import('../security/redact-run-dir.ts'),
    import('../history/resolve-history-file.ts'),
  ]);
  // Each round is filed in the run history, so a canary failing now and then shows as flaky.
  const historyFile = resolveHistoryFile({
    flag: flags.history,
    configFile: loaded.suite.history?.file,
    configDir: loaded.dir,
  });
  const outDir = prepareRunDir(createRunId(), flags.out);
  const interrupt = createInterruptSignal();
  const setupTimeline = new Timeline();
  const target = flags.url
    ? undefined
    : await startLocalTarget({
        env,
        configDir: loaded.dir,
        timeline: setupTimeline,
        signal: interrupt.signal,
      });
  const baseUrl = flags.url ?? target?.url ?? env.target;
  const telemetry = await createTelemetry(env, { suite: loaded.suite, otlp: false });
  let failedLast = false;
  try {
    printHuman(
      `watching canaries against ${baseUrl} every ${flags.every} (Ctrl-C to stop); artifacts in ${outDir}`,
    );
    await watchCanaries({
      everyMs,
      signal: interrupt.signal,
      ...(maxRuns ? { maxRuns } : {}),
      runOnce: async (iteration) => {
        const selected = await loadCanaries(loaded, {
          ...(names.length ? { names } : {}),
          ...(flags.file?.length ? { files: flags.file } : {}),
        });
        const runDir = `${outDir}/run-${iteration}`;
        const startedAt = new Date();
        try {
          const { canaries } = await runCanaries({
            ...selected,
            baseUrl,
            env: flags.url ? 'url' : env.name,
            config: loaded.suite.canaries,
            timeline: new Timeline(),
            telemetry,
            outDir: runDir,
            signal: interrupt.signal,
            redact: redactor.text,
          });
          const safe = redactor.value(canaries);
          await recordCanaryRound({
            file: historyFile,
            runDir,
            canaries: safe,
            loaded,
            env: flags.url ? 'url' : env.name,
            target: baseUrl,
            startedAt,
          });
          return safe;
        } finally {
          if (existsSync(runDir)) redactRunDir(runDir, redactor);
        }
      },
      onRun: (results, iteration) => {
        failedLast = results.some((r) => r.status === 'failed');
        const stamp = new Date().toISOString();
        for (const r of results) {
          printHuman(
            `${stamp} #${iteration} ${r.status === 'passed' ? 'PASS' : 'FAIL'} ${r.name} ${r.durationMs} ms${r.error ? ` — ${r.error}` : ''}`,
          );
        }
      },
    });
  } finally {
    interrupt.dispose();
    await telemetry.close();
    await target?.stop();
  }
  if (interrupt.signal.aborted) return 130;
  return failedLast ? 1 : 0;
}
