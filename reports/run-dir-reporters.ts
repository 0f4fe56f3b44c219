import type { RunResult } from '../core/run-result.ts';
import { buildHtml } from './build-html.ts';
import { buildJson } from './build-json.ts';
import { buildJunit } from './build-junit.ts';
import { buildMarkdown } from './build-markdown.ts';
import { loadChartAssets } from './load-chart-assets.ts';
import type { Reporter } from './reporter.ts';
import { noRedaction, type Redact, writeReport } from './write-report.ts';

export type ReportFormat = 'json' | 'junit' | 'md' | 'html';

/** Each report format: its file in the run directory and its pure builder. */
export const REPORT_FORMATS: Record<ReportFormat, { file: string; build: (result: RunResult) => string }> = {
  json: { file: 'result.json', build: buildJson },
  junit: { file: 'junit.xml', build: buildJunit },
  md: { file: 'summary.md', build: buildMarkdown },
  html: { file: 'report.html', build: (result) => buildHtml(result, loadChartAssets()) },
};

/** A reporter writing one format into the run directory at the end of the run. */
export function createFileReporter(
  format: ReportFormat,
  outDir: string,
  redact: Redact = noRedaction,
): Reporter {
  const { file, build } = REPORT_FORMATS[format];
  return {
    name: format,
    onEnd: (result) => [writeReport(outDir, file, build(result), redact)],
  };
}

/** result.json, junit.xml, summary.md and report.html into `outDir`. */
export function createRunDirReporters(options: {
  outDir: string;
  formats?: readonly ReportFormat[];
  redact?: Redact;
}): Reporter[] {
  const formats = options.formats ?? (['json', 'junit', 'md', 'html'] as const);
  return formats.map((format) => createFileReporter(format, options.outDir, options.redact));
}
