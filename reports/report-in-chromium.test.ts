import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RunResult } from '../core/run-result.ts';
import { requireTool } from '../core/tools.ts';
import { sampleDrill, sampleResult } from '../test-support/sample-result.ts';
import { ReporterMultiplexer } from './reporter.ts';
import { createRunDirReporters } from './run-dir-reporters.ts';
import { CHROMIUM_ARGS, createScreenshotReporter, renderReport } from './screenshot-reporter.ts';
import { writeBinaryReport } from './write-report.ts';

const tool = requireTool('chromium');
let browser: Browser;

/** A 1×1 PNG: the canary screenshot the report shows as a thumbnail. */
const PIXEL = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/** A run directory as the stages leave it, before the reports: the sample's canary screenshot and snippet. */
function createStageArtifacts(): string {
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-html-'));
  mkdirSync(join(dir, 'canaries', 'checkout'), { recursive: true });
  writeFileSync(join(dir, 'canaries', 'checkout', 'attempt1-open-home.png'), PIXEL);
  mkdirSync(join(dir, 'canaries', 'health'), { recursive: true });
  writeFileSync(join(dir, 'canaries', 'health', 'attempt2-ready.txt'), 'status: 503\n');
  return dir;
}

/** A run directory as a gate leaves it: the four reports and a canary screenshot. */
async function writeRunDir(result: RunResult): Promise<string> {
  const dir = createStageArtifacts();
  const multiplexer = new ReporterMultiplexer(createRunDirReporters({ outDir: dir, screenshot: false }));
  await multiplexer.onEnd(result);
  expect(multiplexer.failures).toEqual([]);
  return dir;
}

beforeAll(async () => {
  if (tool.path) browser = await chromium.launch({ executablePath: tool.path, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
});

test.skipIf(tool.skip)('report.html renders offline in Chromium with every chart drawn', async () => {
  const dir = await writeRunDir(sampleResult({ drill: sampleDrill() }));
  const rendered = await renderReport(join(dir, 'report.html'), { browser });
  expect(rendered.consoleErrors).toEqual([]);
  expect(rendered.failedRequests).toEqual([]);
  expect(rendered.charts.map((c) => c.id).sort()).toEqual([
    'chart-drill',
    'chart-expectations',
    'chart-histogram',
    'chart-latency',
    'chart-throughput',
  ]);
  for (const chart of rendered.charts) {
    expect(chart, chart.id).toMatchObject({ chart: true });
    expect(chart.width * chart.height, chart.id).toBeGreaterThan(0);
    // Axes alone paint a few thousand pixels; bars, lines and fault boxes many more.
    expect(chart.paintedPixels, chart.id).toBeGreaterThan(5000);
  }
  // The screenshot goes into the run's artifacts, as report.png does after a real run.
  writeBinaryReport(dir, 'report.png', rendered.png);
  expect(rendered.png.subarray(1, 4).toString()).toBe('PNG');
});

test.skipIf(tool.skip)(
  'a page that tries the network is caught: blocked request and console error',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsproof-html-'));
    writeFileSync(
      join(dir, 'report.html'),
      '<!doctype html><html><body><img src="http://127.0.0.1:9/x.png"><script>console.error("boom")</script></body></html>',
    );
    const rendered = await renderReport(join(dir, 'report.html'), { browser });
    expect(rendered.consoleErrors.join('\n')).toContain('boom');
    expect(rendered.failedRequests.join('\n')).toContain('http://127.0.0.1:9/x.png');
  },
);

test.skipIf(tool.skip)('without JavaScript the page still reads: verdict and tables', async () => {
  const dir = await writeRunDir(sampleResult());
  const context = await browser.newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await page.goto(pathToFileURL(join(dir, 'report.html')).href);
    await expect(page.locator('header.verdict').textContent()).resolves.toMatch(/FAILED[\s\S]*exit 1/);
    const firstFailure = page.locator('#failures .failure').first();
    await expect(firstFailure.textContent()).resolves.toMatch(
      /p\(99\)<1[\s\S]*measured 5\.12 ms[\s\S]*threshold p\(99\)<1/,
    );
    expect(await page.locator('#checks tbody tr').count()).toBe(8);
    expect(await page.locator('.chart').first().isVisible()).toBe(false);
    // Hostile text is shown as text, never run: no element came from it.
    expect(await page.locator('img[src="x"]').count()).toBe(0);
  } finally {
    await context.close();
  }
});

test.skipIf(tool.skip)(
  'the screenshot reporter writes report.png and returns it as an artifact',
  async () => {
    const dir = await writeRunDir(sampleResult());
    const before = readFileSync(join(dir, 'result.json'), 'utf8');
    const reporter = createScreenshotReporter({ outDir: dir, browser });
    expect(await reporter.onEnd?.(sampleResult())).toEqual({
      written: ['report.png'],
      artifacts: [{ name: 'report screenshot', path: 'report.png', kind: 'screenshot' }],
    });
    expect(readFileSync(join(dir, 'report.png')).subarray(1, 4).toString()).toBe('PNG');
    // It adds to the result; it never rewrites a report another reporter wrote.
    expect(readFileSync(join(dir, 'result.json'), 'utf8')).toBe(before);
  },
);

test.skipIf(tool.skip)(
  'result.json is written once, last, with the screenshot the reporter before it added',
  async () => {
    const dir = createStageArtifacts();
    const writes: string[] = [];
    // The redact hook sees every text report as it is written: one call is one write.
    const redact = (text: string) => {
      writes.push(
        text.startsWith('{')
          ? 'result.json'
          : text.startsWith('<?xml')
            ? 'junit.xml'
            : text.startsWith('<!doctype')
              ? 'report.html'
              : 'summary.md',
      );
      return text;
    };
    // The reporters a run uses, in their order (the screenshot launches its own Chromium).
    const multiplexer = new ReporterMultiplexer(
      createRunDirReporters({ outDir: dir, redact, screenshot: true }),
    );
    const output = await multiplexer.onEnd(sampleResult());
    expect(multiplexer.failures).toEqual([]);
    expect(output.written).toEqual(['junit.xml', 'summary.md', 'report.html', 'report.png', 'result.json']);
    expect(writes).toEqual(['junit.xml', 'summary.md', 'report.html', 'result.json']);
    const stored = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as RunResult;
    expect(stored.artifacts).toEqual([...sampleResult().artifacts, ...output.artifacts]);
    expect(output.artifacts).toEqual([{ name: 'report screenshot', path: 'report.png', kind: 'screenshot' }]);
  },
);

test('a screenshot that fails is a recorded reporter failure, never a failed run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-html-'));
  const multiplexer = new ReporterMultiplexer([
    ...createRunDirReporters({ outDir: dir, screenshot: false }),
    createScreenshotReporter({ outDir: dir, chromiumPath: '/bin/false', timeoutMs: 5000 }),
  ]);
  const { written, artifacts } = await multiplexer.onEnd(sampleResult());
  expect(written).toEqual(['junit.xml', 'summary.md', 'report.html', 'result.json']);
  expect(artifacts).toEqual([]);
  expect(multiplexer.failures.map((f) => `${f.reporter}:${f.hook}`)).toEqual(['screenshot:onEnd']);
  expect(existsSync(join(dir, 'report.png'))).toBe(false);
});
