import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { EXIT, type ExitCode, UsageError } from '../core/errors.ts';
import type { RunResult } from '../core/run-result.ts';
import type { ReportFormat } from '../reports/run-dir-reporters.ts';
import { printHuman } from './command-kit.ts';

/** The formats of reports/run-dir-reporters.ts, named here so parsing `--format` loads no renderer. */
const FORMATS = ['json', 'junit', 'md', 'html'] as const satisfies readonly ReportFormat[];
// Fails to compile when run-dir-reporters.ts gains a format this list lacks.
const everyFormat: Exclude<ReportFormat, (typeof FORMATS)[number]> extends never ? true : never = true;
void everyFormat;

export interface ReportFlags {
  format: string;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description("re-render a run's reports from its result.json")
    .argument('<run-dir>', 'run directory holding result.json (e.g. reports/latest)')
    .option('--format <formats>', 'comma-separated: html, md, junit, json', 'html,md,junit')
    .action(async (runDir: string, flags: ReportFlags) => {
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
  const [{ REPORT_FORMATS }, { writeReport }] = await Promise.all([
    import('../reports/run-dir-reporters.ts'),
    import('../reports/write-report.ts'),
  ]);
  for (const format of formats) {
    const { file: name, build } = REPORT_FORMATS[format];
    printHuman(`wrote ${resolve(dir, writeReport(dir, name, build(result)))}`);
  }
  return EXIT.passed;
}
