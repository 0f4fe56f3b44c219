import { resolve } from 'node:path';
import type { RunResult } from '../core/run-result.ts';
import { buildHtml } from './build-html.ts';
import { buildJson } from './build-json.ts';
import { buildJunit } from './build-junit.ts';
import { buildMarkdown, buildRepositoryLinkBase } from './build-markdown.ts';
import { loadChartAssets } from './load-chart-assets.ts';
import type { Reporter } from './reporter.ts';
import { createScreenshotReporter } from './screenshot-reporter.ts';
import { noRedaction, type Redact, writeReport } from './write-report.ts';

export type ReportFormat = 'json' | 'junit' | 'md' | 'html';

/** Where a run's reports are read: what a builder needs beyond the result. */
export interface ReportContext {
  /** The run directory's URL in the repository (CI step summary links); see `buildRepositoryLinkBase`. */
  linkBase?: string;
}

/** Each report format: its file in the run directory and its pure builder. */
export const REPORT_FORMATS: Record<
  ReportFormat,
  { file: string; build: (result: RunResult, context?: ReportContext) => string }
> = {
  json: { file: 'result.json', build: buildJson },
  junit: { file: 'junit.xml', build: buildJunit },
  md: {
    file: 'summary.md',
    build: (result, context) => buildMarkdown(result, { linkBase: context?.linkBase }),
  },
  html: { file: 'report.html', build: (result) => buildHtml(result, loadChartAssets()) },
};

/** The report context of a run directory: in GitHub Actions, its URL in the repository. */
export function createReportContext(
  outDir: string,
  env: Record<string, string | undefined> = process.env,
): ReportContext {
  const linkBase = buildRepositoryLinkBase(env, resolve(outDir));
  return linkBase ? { linkBase } : {};
}

/** A reporter writing one format into the run directory at the end of the run. */
export function createFileReporter(
  format: ReportFormat,
  outDir: string,
  redact: Redact = noRedaction,
  context: ReportContext = {},
): Reporter {
  const { file, build } = REPORT_FORMATS[format];
  return {
    name: format,
    onEnd: (result) => ({ written: [writeReport(outDir, file, build(result, context), redact)] }),
  };
}

/**
 * junit.xml, summary.md and report.html into `outDir`, then (with the html format and Chromium
 * present) report.png, a screenshot of the rendered report, and last result.json: written once, with
 * what the reporters before it added (report.png among the artifacts).
 */
export function createRunDirReporters(options: {
  outDir: string;
  formats?: readonly ReportFormat[];
  redact?: Redact;
  /** Render report.html in Chromium into report.png. @defaultValue true unless OPSPROOF_SCREENSHOT=0 */
  screenshot?: boolean;
  /** Where CI variables are read (summary.md's links in a GitHub step summary). @defaultValue process.env */
  env?: Record<string, string | undefined>;
}): Reporter[] {
  const formats = options.formats ?? (['json', 'junit', 'md', 'html'] as const);
  const screenshot =
    (options.screenshot ?? process.env.OPSPROOF_SCREENSHOT !== '0') && formats.includes('html');
  const context = createReportContext(options.outDir, options.env);
  const file = (format: ReportFormat) => createFileReporter(format, options.outDir, options.redact, context);
  return [
    ...formats.filter((format) => format !== 'json').map(file),
    ...(screenshot ? [createScreenshotReporter({ outDir: options.outDir })] : []),
    ...(formats.includes('json') ? [file('json')] : []),
  ];
}
