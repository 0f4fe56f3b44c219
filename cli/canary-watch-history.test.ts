import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { repoPath } from '../core/tools.ts';
import type { TrendData } from '../history/build-trend-data.ts';
import { openHistoryStore } from '../history/history-store.ts';
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
  writeFileSync(
    join(dir, 'opsproof.config.json'),
    JSON.stringify({ service: 'watched', environments: { local: { target: server.url } } }),
  );
  writeFileSync(
    join(dir, 'ping.canary.ts'),
    `import { defineCanary } from 'opsproof';
export default defineCanary({ name: 'ping', type: 'api' }, async ({ http, step, baseUrl }) => {
  await step('root', async () => {
    const res = await http.get(baseUrl + '/');
    if (res.status !== 200) throw new Error('root returned ' + res.status);
  });
});
`,
  );
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('ten rounds of canary watch are ten runs in the history; the canary that fails one in five is the flakiest', async () => {
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        repoPath('bin', 'opsproof.js'),
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
      { cwd: dir, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'ignore', 'ignore'] },
    );
    const guard = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('error', reject);
    child.on('close', (exit) => {
      clearTimeout(guard);
      resolve(exit);
    });
  });
  expect([0, 1]).toContain(code);
  const store = await openHistoryStore(history);
  const runs = await store.listRuns({ kind: 'canary' }).finally(() => store.close());
  expect(runs).toHaveLength(10);
  expect(runs.map((r) => r.status).filter((s) => s === 'failed')).toHaveLength(2);

  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await runTrendReport({ history, out: join(dir, 'trend'), since: '1d' });
  } finally {
    vi.restoreAllMocks();
  }
  const html = readFileSync(join(dir, 'trend', 'trend.html'), 'utf8');
  const data = JSON.parse(
    /<script type="application\/json" id="opsproof-trend">(.*?)<\/script>/s.exec(html)?.[1] ?? '{}',
  ) as TrendData;
  expect(data.canaries).toEqual([expect.objectContaining({ name: 'ping', runs: 10, successPercent: 80 })]);
  expect(data.flaky[0]).toMatchObject({ checkId: 'canary:ping', failed: 2 });
  expect(data.flaky[0]?.flips).toBeGreaterThanOrEqual(3);
}, 60_000);
