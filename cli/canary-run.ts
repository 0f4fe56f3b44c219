import type { Command } from 'commander';
import { type ExitCode, UsageError } from '../core/errors.ts';
import {
  addCommonFlags,
  addHistoryFlag,
  type CommonFlags,
  collect,
  loadCommandContext,
  parseUrlFlag,
  printHuman,
  runStagesCommand,
} from './command-kit.ts';

export interface CanaryRunFlags extends CommonFlags {
  url?: string;
  file?: string[];
  remote?: boolean;
}

export function registerCanaryRun(canary: Command): void {
  const command = canary
    .command('run')
    .description('run canaries locally (Playwright + Chromium), or a deployed one with --remote')
    .argument('[names...]', 'canaries to run (default: all)');
  addCommonFlags(command);
  addHistoryFlag(command);
  command
    .option('--url <url>', 'base URL to run against instead of the environment target')
    .option('--file <file>', 'canary file (*.canary.ts) outside the config (repeatable)', collect)
    .option('--remote', 'start the deployed CloudWatch Synthetics canary and wait for its run')
    .action(async (names: string[], flags: CanaryRunFlags) => {
      process.exitCode = await runCanaryRun(names, flags);
    });
}

export async function runCanaryRun(names: string[], flags: CanaryRunFlags): Promise<ExitCode> {
  if (flags.remote) {
    if (flags.url || flags.file?.length)
      throw new UsageError('--remote runs the deployed canaries; drop --url/--file');
    const { loaded, env } = await loadCommandContext(flags);
    const { runRemoteCanaries } = await import('../canaries/deployed-canaries.ts');
    const runs = await runRemoteCanaries({ loaded, env, names });
    for (const run of runs) {
      const when = run.completedAt ? ` at ${run.completedAt}` : '';
      printHuman(
        `${run.status === 'passed' ? 'PASS' : 'FAIL'} ${run.canaryName}${when}${run.reason ? `: ${run.reason}` : ''}`,
      );
    }
    if (flags.json) process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
    return runs.every((r) => r.status === 'passed') ? 0 : 1;
  }
  const baseUrl = flags.url ? parseUrlFlag(flags.url) : undefined;
  const [{ loadCanaries }, { createCanaryStage }, { checkRun }] = await Promise.all([
    import('../canaries/load-canaries.ts'),
    import('../runner/stages/canary-stage.ts'),
    import('../runner/validate-run.ts'),
  ]);
  // A canary file that does not load or export a canary exits 2 with the config's problems.
  const files = flags.file?.length ? { files: flags.file, cwd: process.cwd() } : {};
  // `--url` with `--file` runs canaries kept outside any project: the config in the folder (if any)
  // neither names the run nor lends it its alarms, unless `--config` asks for it.
  const adhocOnly = baseUrl !== undefined && files.files !== undefined && !flags.config;
  const context = await loadCommandContext(flags, {
    ...(baseUrl ? { adhocUrl: baseUrl } : {}),
    ...(adhocOnly ? { adhocOnly } : {}),
    check: checkRun({ canaries: { names, ...files } }, flags.env),
  });
  if (names.length) {
    // An unknown name is a usage error (exit 2) before anything starts, not a failed run.
    await loadCanaries(context.loaded, { names, ...(flags.file?.length ? { files: flags.file } : {}) });
  }
  return runStagesCommand({
    context,
    command: ['canary run', ...names].join(' '),
    stages: [
      createCanaryStage({
        ...(names.length ? { names } : {}),
        ...(flags.file?.length ? { files: flags.file } : {}),
        ...(baseUrl ? { baseUrl } : {}),
      }),
    ],
    flags,
    // With --url the target is already running somewhere: start nothing. No gateway fronts it, so
    // nothing feeds the suite's alarms: watching them would only turn them OK on missing data.
    ...(baseUrl ? { run: { startTarget: false, embeddedAlarms: false } } : {}),
  });
}
