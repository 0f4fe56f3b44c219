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

interface WriterEnd {
  committed: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Writer processes, each recording `count` runs, released together once all have opened the file
 * (tsx's start-up time varies too much for "at once" otherwise). A writer with `killAfterMs` gets
 * SIGKILL that long after the release.
 */
async function runWriters(
  file: string,
  writers: readonly { prefix: string; count: number; killAfterMs?: number; pauseMs?: number }[],
): Promise<WriterEnd[]> {
  const started = writers.map(({ prefix, count, killAfterMs, pauseMs = 0 }) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', WRITER, file, prefix, String(count), String(pauseMs)],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    let markReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      markReady = resolve;
    });
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.startsWith('ready\n')) markReady();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // Bounded: a writer that hangs (e.g. waiting forever on a lock a killed writer held) fails the test.
    const guard = setTimeout(() => child.kill('SIGKILL'), 40_000);
    const end = new Promise<WriterEnd>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(guard);
        markReady();
        const committed = [...stdout.matchAll(/^committed (\S+)$/gm)].map((m) => m[1] as string);
        resolve({ committed, code, signal, stderr });
      });
    });
    const go = () => {
      child.stdin.end('go\n');
      if (killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    };
    return { ready, end, go };
  });
  await Promise.all(started.map((w) => w.ready));
  for (const w of started) w.go();
  return Promise.all(started.map((w) => w.end));
}

async function query(file: string, sql: string): Promise<unknown[]> {
  const client = createClient({ url: `file:${file}` });
  try {
    return (await client.execute(sql)).rows.map((row) => row[0]);
  } finally {
    client.close();
  }
}

test('two writer processes at once: every run of both is recorded, none is lost', async () => {
  const file = join(dir, 'concurrent.db');
  const [a, b] = await runWriters(file, [
    // A pause between runs, as between real runs: without it, one writer's back-off (SQLite's busy
    // handler sleeps) outlasts all fifty of the other's commits, and nothing interleaves.
    { prefix: 'a', count: 50, pauseMs: 2 },
    { prefix: 'b', count: 50, pauseMs: 2 },
  ]);
  expect([a?.code, b?.code, `${a?.stderr}${b?.stderr}`]).toEqual([0, 0, '']);
  const store = await openHistoryStore(file);
  try {
    const ids = (await store.listRuns()).map((r) => r.runId).sort();
    expect(ids).toEqual([...(a?.committed ?? []), ...(b?.committed ?? [])].sort());
    expect(ids).toHaveLength(100);
  } finally {
    store.close();
  }
  // The writers really overlapped: in commit order (rowid) the two prefixes alternate, not a's then b's.
  const order = (await query(file, 'SELECT run_id FROM runs ORDER BY rowid')).map((id) => String(id)[0]);
  const switches = order.filter((p, i) => i > 0 && p !== order[i - 1]).length;
  expect(switches, `commit order ${order.join('')}`).toBeGreaterThanOrEqual(2);
}, 60_000);

test('writers killed (SIGKILL) at random points, beside one that is not, leave a readable history holding every committed run, whole', async () => {
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
    const [killed, survivor] = await runWriters(file, [
      { prefix: `k${round}`, count: 400, killAfterMs: Math.floor(random() * 300) },
      { prefix: `s${round}`, count: 40 },
    ]);
    committed.push(...(killed?.committed ?? []), ...(survivor?.committed ?? []));
    if (killed?.signal === 'SIGKILL' && killed.committed.length < 400) killedMidway++;
    // A writer killed while it held the write lock does not stall or break the other one.
    expect(
      [survivor?.code, survivor?.committed.length, survivor?.stderr],
      `seed ${seed}, round ${round}`,
    ).toEqual([0, 40, '']);
    expect((await query(file, 'PRAGMA integrity_check'))[0], `seed ${seed}, round ${round}`).toBe('ok');
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
}, 90_000);
