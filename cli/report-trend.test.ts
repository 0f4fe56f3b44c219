import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { requireTool } from '../core/tools.ts';
import { buildRunRecord } from '../history/build-run-record.ts';
import type { TrendData } from '../history/build-trend-data.ts';
import { openHistoryStore } from '../history/history-store.ts';
import { CHROMIUM_ARGS, renderReport } from '../reports/screenshot-reporter.ts';
import { buildSampleRun } from '../test-support/sample-run.ts';
import { runTrendReport } from './report.ts';

const tool = requireTool('chromium');
let browser: Browser;
const dir = mkdtempSync(join(tmpdir(), 'opsproof-trend-'));
const historyFile = join(dir, 'history.db');

const drill = (minute: number, ttd: number, ttr: number) => ({
  name: 'alert-errors',
  kind: 'alert' as const,
  timeToDetectMs: ttd,
  timeToAlarmMs: ttd + 500,
  timeToMitigateMs: null,
  timeToRecoverMs: ttr,
  impact: { requests: 100 + minute, failedRequests: 10, durationMs: ttr },
  actionItems: [],
});

beforeAll(async () => {
  if (tool.path) browser = await chromium.launch({ executablePath: tool.path, args: CHROMIUM_ARGS });
  const store = await openHistoryStore(historyFile);
  const now = Date.now();
  const minute = (ago: number) => (now - ago * 60_000 - Date.parse('2026-01-01T00:00:00.000Z')) / 60_000;
  // Twenty canary runs, the checkout canary failing one in five; the home canary always passes; a
  // KPI flips once at a latency step.
  for (let i = 0; i < 20; i++) {
    const checkoutFails = i % 5 === 3;
    const slow = i >= 14;
    const runId = `run-${String(i).padStart(2, '0')}`;
    const runDir = join(dir, 'runs', runId);
    // The directory of run-00 was deleted by hand: its history stays, its link goes.
    if (i > 0) {
      mkdirSync(runDir, { recursive: true });
      writeFileSync(join(runDir, 'report.html'), '<!doctype html><title>run</title>');
    }
    const result = buildSampleRun({
      runId,
      command: 'gate',
      minute: minute(200 - i * 5),
      status: checkoutFails || slow ? 'failed' : 'passed',
      p50: slow ? 200 : 20,
      p99: slow ? 400 : 40,
      checks: [
        {
          id: 'canary:checkout',
          kind: 'canary',
          name: 'canary checkout',
          status: checkoutFails ? 'failed' : 'passed',
        },
        { id: 'canary:home', kind: 'canary', name: 'canary home', status: 'passed' },
        { id: 'kpi:p(99)<300', status: slow ? 'failed' : 'passed' },
      ],
      canaries: [
        { name: 'checkout', status: checkoutFails ? 'failed' : 'passed', durationMs: 800 + i * 10 },
        { name: 'home', status: 'passed', durationMs: 300 },
      ],
    });
    await store.record(buildRunRecord(result, { runDir }));
  }
  await store.record(
    buildRunRecord(
      buildSampleRun({
        runId: 'drill-1',
        command: 'drill alert-errors',
        minute: minute(50),
        drill: drill(1, 4000, 20_000),
      }),
    ),
  );
  await store.record(
    buildRunRecord(
      buildSampleRun({
        runId: 'drill-2',
        command: 'drill alert-errors',
        minute: minute(40),
        drill: drill(2, 2500, 15_000),
      }),
    ),
  );
  store.close();
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function writeTrend(): Promise<{ html: string; data: TrendData; path: string }> {
  const out = join(dir, 'trend');
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    expect(await runTrendReport({ history: historyFile, out, since: '30d' })).toBe(0);
  } finally {
    vi.restoreAllMocks();
  }
  const path = join(out, 'trend.html');
  const html = readFileSync(path, 'utf8');
  const json =
    /<script type="application\/json" id="opsproof-trend">(.*?)<\/script>/s.exec(html)?.[1] ?? '{}';
  return { html, data: JSON.parse(json) as TrendData, path };
}

test('the trend data: the step in p99, canary success, drills, the flakiest check first', async () => {
  const { data } = await writeTrend();
  const overall = data.scenarios.find((s) => s.scenario === '*');
  // The step at run 14; the two drills after it ran the same profile at the old latency.
  expect(overall?.points.map((p) => p.p99)).toEqual([...Array(14).fill(40), ...Array(6).fill(400), 40, 40]);
  expect(data.canaries.map((c) => [c.name, c.runs, c.successPercent])).toEqual([
    ['checkout', 20, 80],
    ['home', 20, 100],
  ]);
  expect(data.drills.map((d) => d.points.map((p) => p.timeToDetectMs))).toEqual([[4000, 2500]]);
  // One failure in five over twenty runs flips 8 times; the KPI flipped once; home never.
  expect(data.flaky.map((f) => [f.checkId, f.flips, f.failed])).toEqual([
    ['canary:checkout', 8, 4],
    ['kpi:p(99)<300', 1, 6],
  ]);
  // Runs are linked to their reports, relative to the page; the deleted one is not.
  const runs = new Map(data.runs.map((r) => [r.runId, r.href]));
  expect(runs.get('run-01')).toBe('../runs/run-01/report.html');
  expect(runs.get('run-00')).toBeUndefined();
});

test.skipIf(tool.skip)('trend.html renders offline in Chromium with every chart drawn', async () => {
  const { path } = await writeTrend();
  const rendered = await renderReport(path, { browser });
  expect(rendered.consoleErrors).toEqual([]);
  expect(rendered.failedRequests).toEqual([]);
  expect(rendered.charts.map((c) => c.id).sort()).toEqual([
    'trend-canary-0',
    'trend-canary-1',
    'trend-drill-0',
    'trend-load-0',
    'trend-load-1',
  ]);
  for (const chart of rendered.charts) {
    expect(chart, chart.id).toMatchObject({ chart: true });
    expect(chart.paintedPixels, chart.id).toBeGreaterThan(5000);
  }
  const page = await browser.newPage();
  try {
    await page.goto(`file://${path}`);
    // The flakiest check is named first, with its runs linked.
    await expect(page.locator('#flaky tbody tr').first().textContent()).resolves.toContain('canary:checkout');
    expect(await page.locator('#flaky tbody tr').first().locator('a').count()).toBe(19);
  } finally {
    await page.close();
  }
});
