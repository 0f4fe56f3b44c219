import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { EXIT, type ExitCode, UsageError } from '../core/errors.ts';
import type { RunResult } from '../core/run-result.ts';
import type { ReportFormat } from '../reports/run-dir-reporters.ts';
import { printHuman } from './command-kit.ts';
import { parseDurationFlag } from './duration-flag.ts';
import { resolveReadableHistoryFile } from './history.ts';

/** The formats of reports/run-dir-reporters.ts, named here so parsing `--format` loads no renderer. */
const FORMATS = ['json', 'junit', 'md', 'html'] as const satisfies readonly ReportFormat[];
// Fails to compile when run-dir-reporters.ts gains a format this list lacks.
const everyFormat: Exclude<ReportFormat, (typeof FORMATS)[number]> extends never ? true : never = true;
void everyFormat;

export interface ReportFlags {
  format: string;
  trend?: boolean;
  since?: string;
  out?: string;
  history?: string;
  config?: string;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description("re-render a run's reports from its result.json; --trend: the trend page of the run history")
    .argument('[run-dir]', 'run directory holding result.json (e.g. reports/latest)')
    .option('--format <formats>', 'comma-separated: html, md, junit, json', 'html,md,junit')
    .option(
      '--trend',
      'write trend.html from the run history instead (percentiles, canaries, drills, flaky checks)',
    )
    .option('--since <duration>', 'with --trend: runs started within this long', '90d')
    .option('--out <dir>', 'with --trend: where trend.html goes (default: reports/trend)')
    .option(
      '--history <file>',
      'with --trend: run history database (default: $OPSPROOF_HISTORY, history.file, reports/history.db)',
    )
    .option('--config <file>', 'with --trend: config file whose history.file to read')
    .action(async (runDir: string | undefined, flags: ReportFlags) => {
      if (flags.trend) {
        if (runDir) throw new UsageError('report --trend takes no run directory');
        process.exitCode = await runTrendReport(flags);
        return;
      }
      if (!runDir) throw new UsageError('report needs a run directory (or --trend)');
      process.exitCode = await runReport(runDir, flags);
    });
}

export function parseFormats(text: string): ReportFormat[] {
  const known: readonly string[] = FORMATS;
  const formats = text
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  for (const format of formats) {
    if (!known.includes(format as ReportFormat)) {
      throw new UsageError(`unknown report format "${format}"; expected one of ${known.join(', ')}`);
    }
  }
  if (formats.length === 0) throw new UsageError('--format needs at least one format');
  return formats as ReportFormat[];
}

export async function runReport(runDir: string, flags: ReportFlags): Promise<ExitCode> {
  const formats = parseFormats(flags.format);
  const dir = resolve(runDir);
  const file = resolve(dir, 'result.json');
  if (!existsSync(file)) throw new UsageError(`no result.json in ${dir}`);
  let result: RunResult;
  try {
    result = JSON.parse(readFileSync(file, 'utf8')) as RunResult;
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const [{ REPORT_FORMATS, createReportContext }, { writeReport }] = await Promise.all([
    import('../reports/run-dir-reporters.ts'),
    import('../reports/write-report.ts'),
  ]);
  const context = createReportContext(dir);
  for (const format of formats) {
    const { file: name, build } = REPORT_FORMATS[format];
    printHuman(`wrote ${resolve(dir, writeReport(dir, name, build(result, context)))}`);
  }
  return EXIT.passed;
}

/** `report --trend`: trend.html from the run history (history/build-trend-html.ts). */
export async function runTrendReport(flags: Omit<ReportFlags, 'format'>): Promise<ExitCode> {
  const sinceMs = parseDurationFlag('since', flags.since ?? '90d', '90d or 12h');
  const file = await resolveReadableHistoryFile(flags);
  if (!file) throw new UsageError('the run history is off (--history off / OPSPROOF_HISTORY=off)');
  if (!existsSync(file))
    throw new UsageError(`no run history at ${file}: runs are recorded there when they end`);
  const [{ openHistoryStore }, { buildTrendData }, { buildTrendHtml }, { loadChartAssets }, { writeReport }] =
    await Promise.all([
      import('../history/history-store.ts'),
      import('../history/build-trend-data.ts'),
      import('../history/build-trend-html.ts'),
      import('../reports/load-chart-assets.ts'),
      import('../reports/write-report.ts'),
    ]);
  const outDir = resolve(flags.out ?? 'reports/trend');
  const since = new Date(Date.now() - sinceMs).toISOString();
  const store = await openHistoryStore(file);
  let html: string;
  try {
    const runs = await store.listRuns({ since });
    const ids = runs.map((r) => r.runId);
    // A run directory deleted by hand loses its link, nothing else: the figures live in the history.
    const links = new Map<string, string>();
    for (const run of runs) {
      const report = run.runDir ? resolve(run.runDir, 'report.html') : undefined;
      if (report && existsSync(report)) links.set(run.runId, relative(outDir, report).split(sep).join('/'));
    }
    const data = buildTrendData({
      runs,
      figures: await store.loadFigures(ids),
      canaries: await store.loadCanaries(ids),
      drills: await store.loadDrills({ since }),
      checks: await store.loadChecks(ids),
      links,
      since,
    });
    html = buildTrendHtml(data, loadChartAssets());
    printHuman(
      `${runs.length} runs since ${since}: ${data.scenarios.length} load series, ${data.canaries.length} canaries, ${data.drills.length} drills, ${data.flaky.length} flaky checks`,
    );
  } finally {
    store.close();
  }
  printHuman(`wrote ${resolve(outDir, writeReport(outDir, 'trend.html', html))}`);
  return EXIT.passed;
}
