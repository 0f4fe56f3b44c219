import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { repoPath } from '../core/tools.ts';
import { startBehaviourServer, type TestServer } from '../test-support/test-servers.ts';
import { openHistoryStore } from './history-store.ts';

// Ctrl-C during a real `opsproof load run`: the run ends interrupted (exit 130) and is in the history
// whole, beside the run recorded before it.
let server: TestServer;
const dir = mkdtempSync(join(tmpdir(), 'opsproof-interrupted-'));
const history = join(dir, 'history.db');

beforeAll(async () => {
  server = await startBehaviourServer({ kind: 'fixed', ms: 5 });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function loadRun(
  duration: string,
  interruptAfterMs?: number,
  historyFile = history,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        repoPath('bin', 'opsproof.js'),
        'load',
        'run',
        '--url',
        server.url,
        '--connections',
        '2',
        '--duration',
        duration,
        '--history',
        historyFile,
        '--out',
        join(dir, `run-${duration}`),
      ],
      {
        cwd: dir,
        env: { ...process.env, CI: 'true', OPSPROOF_SCREENSHOT: '0' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // Interrupt once the load is under way (its first progress line).
      if (interruptAfterMs !== undefined && /load/i.test(stderr) && !child.killed) {
        setTimeout(() => child.kill('SIGINT'), interruptAfterMs);
        interruptAfterMs = undefined;
      }
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stderr });
    });
  });
}

test('a run stopped by Ctrl-C is recorded as interrupted, whole, and the earlier run stays', async () => {
  const first = await loadRun('1s');
  expect([0, 1], first.stderr).toContain(first.code);
  const stopped = await loadRun('30s', 1000);
  expect(stopped.code, stopped.stderr).toBe(130);
  const store = await openHistoryStore(history);
  try {
    const runs = await store.listRuns();
    expect(runs.map((r) => [r.kind, r.name, r.status])).toEqual([
      ['load', 'adhoc', first.code === 0 ? 'passed' : 'failed'],
      ['load', 'adhoc', 'interrupted'],
    ]);
    // What the interrupted load measured until Ctrl-C is kept.
    const figures = await store.loadFigures(runs.map((r) => r.runId));
    expect(figures.get(runs[1]?.runId ?? '')?.[0]?.requests).toBeGreaterThan(0);
  } finally {
    store.close();
  }
}, 60_000);

test('a history that cannot be written is a warning: the run and its reports are unaffected', async () => {
  const broken = join(dir, 'not-a-database.db');
  writeFileSync(broken, 'this is not an SQLite file, and never was\n'.repeat(200));
  const run = await loadRun('500ms', undefined, broken);
  expect([0, 1], run.stderr).toContain(run.code);
  expect(run.stderr).toMatch(/warning: reporter history failed in onEnd: .*/);
  expect(existsSync(join(dir, 'run-500ms', 'result.json'))).toBe(true);
  expect(readFileSync(broken, 'utf8')).toMatch(/^this is not an SQLite file/);
}, 60_000);
