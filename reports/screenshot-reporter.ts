import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import type { Artifact } from '../core/run-result.ts';
import { findTool } from '../core/tools.ts';
import { type Reporter, type ReporterOutput, ReporterWarning } from './reporter.ts';
import { writeBinaryReport } from './write-report.ts';

/** Chromium flags for rendering a local file: headless, sandbox-free (containers), nothing phoning home. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/** A canvas on the rendered page and whether a chart was drawn on it. */
export interface RenderedChart {
  id: string;
  /** A Chart.js instance exists for it. */
  chart: boolean;
  width: number;
  height: number;
  /** Pixels that are not fully transparent. */
  paintedPixels: number;
}

export interface RenderedReport {
  consoleErrors: string[];
  /** Requests the page tried that were not local files (blocked) or that failed. */
  failedRequests: string[];
  charts: RenderedChart[];
  png: Buffer;
}

export interface RenderOptions {
  /** A running browser to reuse (tests); else Chromium is launched from `chromiumPath`. */
  browser?: Browser;
  chromiumPath?: string;
  /** Upper bound for launch, load and screenshot each. @defaultValue 15000 */
  timeoutMs?: number;
}

/**
 * playwright-core is imported here, not at the top: its heap (reports/README.md) would otherwise
 * weigh on every command that imports the reporters, for its whole run.
 */
async function launchChromium(executablePath: string | undefined, timeout: number): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout });
}

/**
 * Opens a report.html in Chromium with the network cut off (only file: URLs load), collects console
 * errors, failed requests and the state of every chart canvas, and takes a full-page screenshot.
 */
export async function renderReport(htmlPath: string, options: RenderOptions = {}): Promise<RenderedReport> {
  const timeout = options.timeoutMs ?? 15_000;
  const browser = options.browser ?? (await launchChromium(options.chromiumPath, timeout));
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  try {
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    const failedRequests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('requestfailed', (request) =>
      failedRequests.push(`${request.url()}: ${request.failure()?.errorText ?? 'failed'}`),
    );
    await page.route('**/*', (route) =>
      route.request().url().startsWith('file:') ? route.continue() : route.abort('blockedbyclient'),
    );
    await page.goto(pathToFileURL(resolve(htmlPath)).href, { waitUntil: 'load', timeout });
    const charts = await page.evaluate(() => {
      const instances =
        (window as unknown as { opsproofCharts?: Record<string, unknown> }).opsproofCharts ?? {};
      return Array.from(document.querySelectorAll('canvas')).map((canvas) => {
        let paintedPixels = 0;
        const context = canvas.getContext('2d');
        if (context && canvas.width > 0 && canvas.height > 0) {
          const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
          for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] ?? 0) > 0) paintedPixels++;
        }
        return {
          id: canvas.id,
          chart: canvas.id in instances,
          width: canvas.width,
          height: canvas.height,
          paintedPixels,
        };
      });
    });
    const png = await page.screenshot({ fullPage: true, timeout, type: 'png' });
    return { consoleErrors, failedRequests, charts, png };
  } finally {
    await context.close().catch(() => {});
    if (!options.browser) await browser.close().catch(() => {});
  }
}

export const SCREENSHOT_ARTIFACT: Artifact = {
  name: 'report screenshot',
  path: 'report.png',
  kind: 'screenshot',
};

export interface ScreenshotReporterOptions {
  outDir: string;
  /** Chromium to use; default: {@link findTool}. When there is none, the reporter does nothing. */
  chromiumPath?: string;
  /** A running browser to reuse instead of launching one (tests). */
  browser?: Browser;
  timeoutMs?: number;
}

/**
 * After report.html is written, renders it in Chromium, saves `report.png` beside it and returns it
 * as an artifact (result.json, written after it, lists it). Does nothing without Chromium; a failure
 * (broken page, crashed browser) is thrown for the multiplexer to record as a warning — it never
 * fails the run; a page that rendered with problems still keeps its screenshot.
 */
export function createScreenshotReporter(options: ScreenshotReporterOptions): Reporter {
  return {
    name: 'screenshot',
    async onEnd(): Promise<ReporterOutput> {
      const html = resolve(options.outDir, 'report.html');
      const chromiumPath = options.chromiumPath ?? findTool('chromium');
      if ((!chromiumPath && !options.browser) || !existsSync(html)) return {};
      const rendered = await renderReport(html, {
        chromiumPath,
        browser: options.browser,
        timeoutMs: options.timeoutMs,
      });
      const output: ReporterOutput = {
        written: [writeBinaryReport(options.outDir, SCREENSHOT_ARTIFACT.path, rendered.png)],
        artifacts: [SCREENSHOT_ARTIFACT],
      };
      const problems = [
        ...rendered.consoleErrors.map((e) => `console error: ${e}`),
        ...rendered.failedRequests.map((r) => `request failed: ${r}`),
        ...rendered.charts
          .filter((c) => !c.chart || c.paintedPixels === 0)
          .map((c) => `chart ${c.id} not drawn`),
      ];
      if (problems.length > 0) {
        throw new ReporterWarning(
          `report.png written, but the report did not render cleanly: ${problems.join('; ')}`,
          output,
        );
      }
      return output;
    },
  };
}
