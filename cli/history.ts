import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { EXIT, type ExitCode, UsageError } from '../core/errors.ts';
import type { LoadedSuite } from '../core/load-config.ts';
import type { CanaryRunResult, PreviousDrill, RunResult } from '../core/run-result.ts';
import type { BaselineReference } from '../load/evaluate-baseline.ts';
import { addHistoryFlag, printHuman } from './command-kit.ts';
import { parseDurationFlag } from './duration-flag.ts';

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const KINDS = ['gate', 'drill', 'load', 'chaos', 'canary', 'assert'] as const;

export interface HistoryFlags {
  kind?: (typeof KINDS)[number];
  name?: string;
  env?: string;
  since?: string;
  limit?: string;
  json?: boolean;
  history?: string;
  config?: string;
}

export function registerHistory(program: Command): void {
  const command = program.command('history').description('past runs from the run history, a line each');
  command
    .addOption(new Option('--kind <kind>', 'only runs of this kind').choices(KINDS))
    .option(
      '--name <name>',
      'only runs of this name (drill, load profile, experiment, canaries; service for gates)',
    )
    .option('--env <name>', 'only runs in this environment')
    .option('--since <duration>', 'only runs started within this long, e.g. 30d or 12h')
    .option('--limit <n>', 'only the newest N')
    .option('--json', 'print the runs as JSON on stdout')
    .option('--config <file>', 'config file whose history.file to read');
  addHistoryFlag(command);
  command.action(async (flags: HistoryFlags) => {
    process.exitCode = await runHistory(flags);
  });
}

/**
 * The history file a reading command uses: as a run would record it (`--history`, `OPSPROOF_HISTORY`,
 * the config's `history.file`, `reports/history.db`), the config read only when there is one.
 */
export async function resolveReadableHistoryFile(flags: {
  history?: string;
  config?: string;
}): Promise<string | undefined> {
  const { resolveHistoryFile } = await import('../history/resolve-history-file.ts');
  const explicit = flags.history ?? process.env.OPSPROOF_HISTORY;
  if (explicit) return resolveHistoryFile({ flag: explicit });
  const { CONFIG_FILE_NAMES, loadSuite } = await import('../core/load-config.ts');
  const hasConfig = flags.config || CONFIG_FILE_NAMES.some((name) => existsSync(resolve(name)));
  if (!hasConfig) return resolveHistoryFile({});
  const loaded = await loadSuite({ config: flags.config });
  return resolveHistoryFile({ configFile: loaded.suite.history?.file, configDir: loaded.dir });
}

export async function runHistory(flags: HistoryFlags): Promise<ExitCode> {
  const sinceMs =
    flags.since === undefined ? undefined : parseDurationFlag('since', flags.since, '30d or 12h');
  const limit = flags.limit === undefined ? undefined : Number(flags.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new UsageError(`--limit expects a whole number of at least 1, got "${flags.limit}"`);
  }
  const file = await resolveReadableHistoryFile(flags);
  if (!file) throw new UsageError('the run history is off (--history off / OPSPROOF_HISTORY=off)');
  if (!existsSync(file)) {
    if (flags.json) process.stdout.write('[]\n');
    printHuman(`no run history at ${file} yet: runs are recorded there when they end`);
    return EXIT.passed;
  }
  const [{ openHistoryStore }, { formatHistoryLines }] = await Promise.all([
    import('../history/history-store.ts'),
    import('../history/format-history.ts'),
  ]);
  const store = await openHistoryStore(file);
  try {
    const rows = await store.listRuns({
      ...(flags.kind ? { kind: flags.kind } : {}),
      ...(flags.name ? { name: flags.name } : {}),
      ...(flags.env ? { env: flags.env } : {}),
      ...(sinceMs !== undefined ? { since: new Date(Date.now() - sinceMs).toISOString() } : {}),
      ...(limit !== undefined ? { limit } : {}),
    });
    if (flags.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    printHuman(formatHistoryLines(rows));
    return EXIT.passed;
  } finally {
    store.close();
  }
}

/**
 * `--baseline latest-passed | RUN_ID | FILE` (gate, load run) resolved for the load stage: the
 * reference figures, and the spread of the last passed runs of the same profile and environment
 * from the history (config `history.baseline`). A RUN_ID in no history and naming no file is a usage
 * error; `latest-passed` with nothing passed yet gives a skipped baseline check.
 */
export async function resolveBaselineFlag(
  spec: string,
  input: {
    profile: string;
    env: string;
    /** The run's target: an ad hoc load's history is kept per target (history/build-run-record.ts). */
    target?: string;
    history?: string;
    loaded: LoadedSuite;
  },
): Promise<BaselineReference> {
  const [
    { resolveHistoryFile },
    { openHistoryStore },
    { LATEST_PASSED, resolveHistoryBaseline },
    { loadBaseline },
    { buildProfileKey },
  ] = await Promise.all([
    import('../history/resolve-history-file.ts'),
    import('../history/history-store.ts'),
    import('../history/resolve-baseline.ts'),
    import('../load/evaluate-baseline.ts'),
    import('../history/build-run-record.ts'),
  ]);
  const config = input.loaded.suite.history?.baseline ?? {
    runs: 10,
    minRuns: 5,
    k: 3,
    tolerance: 0.1,
    floorMs: 5,
    floorRps: 1,
  };
  const settings = {
    noise: { k: config.k, minRuns: config.minRuns },
    tolerance: {
      relative: config.tolerance,
      absoluteMs: config.floorMs,
      absoluteErrorRate: 0.001,
      absoluteRps: config.floorRps,
    },
  };
  const file = resolveHistoryFile({
    flag: input.history,
    configFile: input.loaded.suite.history?.file,
    configDir: input.loaded.dir,
  });
  const isFile = spec !== LATEST_PASSED && existsSync(resolve(spec));
  const fromHistory = async () => {
    if (!file || !existsSync(file)) return undefined;
    const store = await openHistoryStore(file);
    try {
      return await resolveHistoryBaseline(store, {
        spec: isFile ? LATEST_PASSED : spec,
        profile: buildProfileKey(input.profile, input.target ?? ''),
        env: input.env,
        // Suites run from one folder share reports/history.db: another service's runs are no baseline.
        ...(input.loaded.suite.service ? { service: input.loaded.suite.service } : {}),
        runs: config.runs,
      });
    } finally {
      store.close();
    }
  };
  const recorded = await fromHistory();
  if (isFile) {
    return {
      label: spec,
      summary: await loadBaseline(resolve(spec)),
      ...(recorded ? { spread: recorded.spread } : {}),
      ...settings,
    };
  }
  if (!recorded) {
    if (spec !== LATEST_PASSED) {
      throw new UsageError(`--baseline ${spec}: no such file, and no run history at ${file ?? '(off)'}`, {
        hint: 'pass latest-passed, a run id from `opsproof history`, or a result.json',
      });
    }
    return { label: spec, missing: `no run history at ${file ?? '(off)'} yet`, ...settings };
  }
  if (recorded.unknownRun) {
    throw new UsageError(`--baseline ${spec}: no such file, and ${recorded.missing}`, {
      hint: 'pass latest-passed, a run id from `opsproof history`, or a result.json',
    });
  }
  const { unknownRun: _, ...reference } = recorded;
  return { ...reference, ...settings };
}

/**
 * The previous drill of this name in this environment, from the history, for drill over drill: its
 * times and its open action items (the unchecked ones of its drill.md while that file exists, else
 * those it recorded). Undefined without one; a history that cannot be read only warns.
 */
export async function loadPreviousDrill(
  name: string,
  input: { env: string; history?: string; loaded: LoadedSuite },
): Promise<PreviousDrill | undefined> {
  const [{ resolveHistoryFile }, { openHistoryStore }, { parseOpenActionItems }] = await Promise.all([
    import('../history/resolve-history-file.ts'),
    import('../history/history-store.ts'),
    import('../runner/build-drill-markdown.ts'),
  ]);
  const file = resolveHistoryFile({
    flag: input.history,
    configFile: input.loaded.suite.history?.file,
    configDir: input.loaded.dir,
  });
  if (!file || !existsSync(file)) return undefined;
  try {
    const store = await openHistoryStore(file);
    const last = await store
      .loadDrills({
        name,
        env: input.env,
        ...(input.loaded.suite.service ? { service: input.loaded.suite.service } : {}),
      })
      .then((drills) => drills.at(-1))
      .finally(() => store.close());
    if (!last) return undefined;
    const drillMd = last.runDir ? resolve(last.runDir, 'drill.md') : undefined;
    const edited =
      drillMd && existsSync(drillMd) ? parseOpenActionItems(readFileSync(drillMd, 'utf8')) : undefined;
    return {
      runId: last.runId,
      startedAt: last.startedAt,
      timeToDetectMs: last.timeToDetectMs,
      timeToAlarmMs: last.timeToAlarmMs,
      timeToRecoverMs: last.timeToRecoverMs,
      impact: {
        requests: last.impactRequests,
        failedRequests: last.impactFailedRequests,
        durationMs: last.impactDurationMs,
      },
      actionItems: edited ?? last.actionItems,
    };
  } catch (error) {
    printHuman(`warning: the previous drill could not be read from ${file}: ${(error as Error).message}`);
    return undefined;
  }
}

/**
 * Files one round of `canary watch` in the history, as a `canary watch` run of its canaries, so a
 * scheduled canary that fails now and then shows on the trend page. A failed write only warns.
 */
export async function recordCanaryRound(input: {
  file: string | undefined;
  runDir: string;
  canaries: CanaryRunResult[];
  loaded: LoadedSuite;
  env: string;
  target: string;
  startedAt: Date;
}): Promise<void> {
  if (!input.file) return;
  try {
    const [{ createHistoryReporter }, { buildCanaryChecks }, { createRunId }, { summarizeStatus }] =
      await Promise.all([
        import('../history/create-history-reporter.ts'),
        import('../runner/stages/canary-stage.ts'),
        import('../runner/run.ts'),
        import('../core/run-result.ts'),
      ]);
    const checks = buildCanaryChecks(input.canaries, 'canaries');
    const ended = new Date();
    const result: RunResult = {
      schemaVersion: 1,
      runId: createRunId(input.startedAt),
      tool: { name: 'opsproof', version: PACKAGE_VERSION },
      command: 'canary watch',
      service: input.loaded.suite.service,
      env: input.env,
      provider: 'embedded',
      target: input.target,
      startedAt: input.startedAt.toISOString(),
      endedAt: ended.toISOString(),
      durationMs: ended.getTime() - input.startedAt.getTime(),
      status: summarizeStatus(checks),
      checks,
      stages: [],
      canaries: input.canaries,
      artifacts: [],
      timeline: [],
    };
    await createHistoryReporter({ file: input.file, runDir: input.runDir, cwd: input.loaded.dir }).onEnd(
      result,
    );
  } catch (error) {
    printHuman(`warning: this canary round was not recorded in ${input.file}: ${(error as Error).message}`);
  }
}
