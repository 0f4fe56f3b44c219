import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { EXIT, type ExitCode, UsageError } from '../core/errors.ts';
import { addHistoryFlag, printHuman } from './command-kit.ts';
import { parseDurationFlag } from './duration-flag.ts';

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
