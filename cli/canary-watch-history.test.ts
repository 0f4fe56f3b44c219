import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TrendData } from '../history/build-trend-data.ts';
import { openHistoryStore } from '../history/history-store.ts';
import { captureStdout } from '../test-support/capture-stdout.ts';
import { writePingProject } from '../test-support/ping-canary.ts';
import { runOpsproof } from '../test-support/run-opsproof.ts';
import { startServer, type TestServer } from '../test-support/test-servers.ts';
import { runTrendReport } from './report.ts';

// `opsproof canary watch` files every round in the history: a scheduled canary whose target fails
// one request in five is named among the flakiest on the trend page.
let server: TestServer;
let requests = 0;
const dir = mkdtempSync(join(tmpdir(), 'opsproof-canary-watch-history-'));
const history = join(dir, 'history.db');

beforeAll(async () => {
  server = await startServer((req, res) => {
    req.resume();
    requests++;
    res.statusCode = requests % 5 === 0 ? 503 : 200;
    res.end();
  });
  writePingProject(dir, { service: 'watched', environments: { local: { target: server.url } } });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('ten rounds of canary watch are ten runs in the history; the canary that fails one in five is the flakiest', async () => {
  const { code } = await runOpsproof(
    [
      'canary',
      'watch',
      '--url',
      server.url,
      '--file',
      'ping.canary.ts',
      '--every',
      '1s',
      '--runs',
      '10',
      '--history',
      history,
      '--out',
      join(dir, 'watch'),
    ],
    { cwd: dir, timeoutMs: 50_000 },
  );
  expect([0, 1]).toContain(code);
  const store = await openHistoryStore(history);
  const runs = await store.listRuns({ kind: 'canary' }).finally(() => store.close());
  expect(runs).toHaveLength(10);
  expect(runs.map((r) => r.status).filter((s) => s === 'failed')).toHaveLength(2);

  await captureStdout(() => runTrendReport({ history, out: join(dir, 'trend'), since: '1d' }));
  const html = readFileSync(join(dir, 'trend', 'trend.html'), 'utf8');
  const data = JSON.parse(
    /<script type="application\/json" id="opsproof-trend">(.*?)<\/script>/s.exec(html)?.[1] ?? '{}',
  ) as TrendData;
  expect(data.canaries).toEqual([expect.objectContaining({ name: 'ping', runs: 10, successPercent: 80 })]);
  expect(data.flaky[0]).toMatchObject({ checkId: 'canary:ping', failed: 2 });
  expect(data.flaky[0]?.flips).toBeGreaterThanOrEqual(3);
}, 60_000);
