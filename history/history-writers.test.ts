import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { afterAll, expect, test } from 'vitest';
import { openHistoryStore } from './history-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'opsproof-history-writers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WRITER = new URL('../test-support/history-writer.ts', import.meta.url).pathname;

/** Runs a writer process; resolves with the run ids it reported committed. Killed after `killAfterMs`. */
function runWriter(
  file: string,
  prefix: string,
  count: number,
  killAfterMs?: number,
): Promise<{ committed: string[]; code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, file, prefix, String(count)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let started = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      // The clock for the kill starts at the first commit: tsx's start-up time varies too much.
      if (!started && killAfterMs !== undefined && stdout.includes('committed')) {
        started = true;
        setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // Bounded: a writer that hangs fails the test instead of holding it.
    const guard = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      const committed = [...stdout.matchAll(/^committed (\S+)$/gm)].map((m) => m[1] as string);
      resolve({ committed, code, signal, stderr });
    });
  });
}

async function integrityOf(file: string): Promise<string> {
  const client = createClient({ url: `file:${file}` });
  try {
    return String((await client.execute('PRAGMA integrity_check')).rows[0]?.integrity_check);
  } finally {
    client.close();
  }
}

test('two writer processes at once: every run of both is recorded, none is lost', async () => {
  const file = join(dir, 'concurrent.db');
  const [a, b] = await Promise.all([runWriter(file, 'a', 25), runWriter(file, 'b', 25)]);
  expect([a.code, b.code, a.stderr + b.stderr]).toEqual([0, 0, '']);
  const store = await openHistoryStore(file);
  try {
    const ids = (await store.listRuns()).map((r) => r.runId).sort();
    expect(ids).toEqual([...a.committed, ...b.committed].sort());
    expect(ids).toHaveLength(50);
  } finally {
    store.close();
  }
}, 60_000);

test('writers killed (SIGKILL) at random points leave a readable history holding every committed run, whole', async () => {
  const file = join(dir, 'killed.db');
  const committed: string[] = [];
  // Random kill points; the seed is printed so a failure can be replayed.
  const seed = Date.now() % 1000;
  let state = seed;
  const random = () => {
    state = (state * 9301 + 49297) % 233280;
    return state / 233280;
  };
  let killedMidway = 0;
  for (let round = 0; round < 6; round++) {
    const run = await runWriter(file, `k${round}`, 400, Math.floor(random() * 300));
    committed.push(...run.committed);
    if (run.signal === 'SIGKILL' && run.committed.length < 400) killedMidway++;
    expect(await integrityOf(file), `seed ${seed}, round ${round}`).toBe('ok');
    const store = await openHistoryStore(file);
    try {
      const runs = await store.listRuns();
      const ids = new Set(runs.map((r) => r.runId));
      for (const id of committed) expect(ids.has(id), `seed ${seed}: ${id} lost`).toBe(true);
      // A run is all there or not at all: never a run without its checks or figures.
      for (const r of runs) expect(r.checksPassed, `seed ${seed}: ${r.runId} half-written`).toBe(40);
      const figures = await store.loadFigures(runs.map((r) => r.runId));
      for (const r of runs) expect(figures.get(r.runId)).toHaveLength(2);
    } finally {
      store.close();
    }
  }
  expect(killedMidway, 'no writer was killed before finishing: the test proved nothing').toBeGreaterThan(3);
}, 60_000);
