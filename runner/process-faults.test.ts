import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { runProcessFault } from '../chaos/run-process-fault.ts';
import { systemClock } from '../core/clock.ts';
import { InterruptedError } from '../core/errors.ts';
import type { ResolvedEnvironment } from '../core/load-config.ts';
import { Timeline } from '../core/timeline.ts';
import { buildProcessTargetSpec, findFreePort, startTargetProcess } from './local-target.ts';
import { createProcessFaults } from './process-faults.ts';
import type { StartedTarget } from './stage.ts';

// Process faults on real processes: a TCP "database" (readyTcp) and an http service, started as the
// runner starts named targets, faulted through the runner's ProcessFaults.

// A client resetting its connection (readiness checks do) must not end the server.
const tcpServer = `require('node:net').createServer((s) => s.on('error', () => {}).end('db')).listen(Number(process.env.PORT), '127.0.0.1')`;
const httpServer = `require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1')`;

const started: StartedTarget[] = [];
afterEach(async () => {
  for (const t of started.splice(0)) await t.stop();
});

async function startPair(timeline = new Timeline()) {
  const dbPort = await findFreePort();
  const webPort = await findFreePort();
  const db = await startTargetProcess(
    buildProcessTargetSpec(
      'db',
      { command: [process.execPath, '-e', tcpServer], readyPath: '/', readyTimeout: '10s' },
      `127.0.0.1:${dbPort}`,
      process.cwd(),
    ),
    { timeline },
  );
  started.push(db);
  const web = await startTargetProcess(
    {
      name: 'web',
      command: process.execPath,
      args: ['-e', httpServer],
      cwd: process.cwd(),
      env: { ...process.env, PORT: String(webPort) },
      url: `http://127.0.0.1:${webPort}`,
      readyPath: '/',
      readyTimeoutMs: 10_000,
    },
    { timeline },
  );
  started.push(web);
  const env = {
    target: web.url,
    targets: {
      web: { url: web.url, start: { command: ['x'] } },
      db: { readyTcp: `127.0.0.1:${dbPort}`, start: { command: ['x'] } },
    },
  } as unknown as ResolvedEnvironment;
  const processes = createProcessFaults({ env, target: web, targets: { db: { url: 'tcp://', target: db } } });
  return { db, web, dbPort, processes, timeline };
}

const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('data', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
const state = (pid: number | undefined) => {
  try {
    return /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
};
const never = new AbortController().signal;

test('the port lists the started targets, the default one also as ""; an unknown one is refused by name', async () => {
  const { processes } = await startPair();
  expect(processes.targets().sort()).toEqual(['', 'db', 'web']);
  await expect(processes.kill('cache')).rejects.toThrow(
    'target "cache" was not started by opsproof, so it has no process to fault (started: web, db)',
  );
});

test.each([
  ['kill', 'SIGKILL'],
  ['stop', 'SIGTERM'],
] as const)(
  '%s the named database: down for its duration, started again, ready; the journal has the times',
  async (op, signal) => {
    const { db, dbPort, processes, timeline } = await startPair();
    const before = db.pid;
    let downSeen: boolean | undefined;
    timeline.on((r) => {
      if (r.type === 'target.exit' && r.name === 'db') void answers(dbPort).then((ok) => (downSeen = !ok));
    });
    const run = await runProcessFault({ op, target: 'db' }, 400, {
      processes,
      timeline,
      clock: systemClock,
      stop: never,
      interrupt: never,
    });
    expect(run.error).toBeUndefined();
    expect(run.record, JSON.stringify(run.record)).toMatchObject({
      target: 'db',
      op,
      pid: before,
      exit: signal,
    });
    const { faultedAt, restartedAt, readyAt, recoveryMs } = run.record;
    expect(Date.parse(restartedAt!) - Date.parse(faultedAt)).toBeGreaterThanOrEqual(395);
    expect(Date.parse(readyAt!)).toBeGreaterThanOrEqual(Date.parse(restartedAt!));
    expect(recoveryMs).toBeGreaterThanOrEqual(400);
    expect(run.output).toMatch(
      new RegExp(
        `^${op === 'kill' ? 'killed' : 'stopped'} db \\(pid ${before}\\) with ${signal} at .*; started again at .*; ready at .* \\(recovered in \\d+ ms\\)$`,
      ),
    );
    expect(downSeen, 'the database answered while it was down').toBe(true);
    expect(db.pid).not.toBe(before);
    expect(await answers(dbPort)).toBe(true);
    // The runner's own record of it: the exit and the start again.
    expect(timeline.ofType('target.exit').map((r) => [r.name, r.pid, r.signal])).toEqual([
      ['db', before, signal],
    ]);
    expect(timeline.ofType('target.start').at(-1)).toMatchObject({ name: 'db', pid: db.pid });
  },
);

test('pause stops the default target (SIGSTOP) for its duration, then SIGCONT and ready', async () => {
  const { web, processes, timeline } = await startPair();
  let during: string | undefined;
  setTimeout(() => (during = state(web.pid)), 250);
  const run = await runProcessFault({ op: 'pause', target: '' }, 500, {
    processes,
    timeline,
    clock: systemClock,
    stop: never,
    interrupt: never,
  });
  expect(during).toBe('T');
  expect(run.record).toMatchObject({ target: '', op: 'pause', pid: web.pid });
  expect(run.record.readyAt).toBeDefined();
  expect(run.output).toMatch(
    /^paused the default target \(pid \d+\) with SIGSTOP at .*; resumed \(SIGCONT\) at .*; ready at/,
  );
  expect(state(web.pid)).not.toBe('T');
  expect((await fetch(web.url)).status).toBe(200);
});

test('a stop condition cuts the down time short: started again at once and waited for', async () => {
  const { db, dbPort, processes, timeline } = await startPair();
  const stop = new AbortController();
  setTimeout(() => stop.abort(new Error('stop condition')), 200);
  const t0 = performance.now();
  const run = await runProcessFault({ op: 'kill', target: 'db' }, 30_000, {
    processes,
    timeline,
    clock: systemClock,
    stop: stop.signal,
    interrupt: never,
  });
  expect(performance.now() - t0).toBeLessThan(10_000);
  expect(run.record.readyAt).toBeDefined();
  expect(db.process!.running).toBe(true);
  expect(await answers(dbPort)).toBe(true);
});

test('Ctrl-C during the down time: started again before it returns, not waited for', async () => {
  const { db, processes, timeline } = await startPair();
  const interrupt = new AbortController();
  setTimeout(() => interrupt.abort(new InterruptedError('SIGINT')), 200);
  const run = await runProcessFault({ op: 'kill', target: 'db' }, 30_000, {
    processes,
    timeline,
    clock: systemClock,
    stop: interrupt.signal,
    interrupt: interrupt.signal,
  });
  expect(run.record.restartedAt).toBeDefined();
  expect(run.record.readyAt).toBeUndefined();
  expect(run.output).toMatch(/; started again at .*; not waited for \(interrupted\)$/);
  // A new process runs (the run stops it with every target next).
  expect(state(db.pid)).toMatch(/^[RSD]$/);
});

test('load ticks from the fault to the first tick after ready are its impact on the load', async () => {
  const { processes, timeline } = await startPair();
  // A fake load: a tick every 100 ms, errors while the database is down.
  let down = false;
  timeline.on((r) => {
    if (r.type === 'target.exit' && r.name === 'db') down = true;
    if (r.type === 'target.start' && r.name === 'db') down = false;
  });
  let second = 0;
  const ticker = setInterval(() => {
    second++;
    timeline.emit({
      type: 'load.tick',
      profile: 'p',
      second,
      rps: 10,
      errors: down ? 4 : 0,
      p50: 1,
      p99: 2,
      inFlight: 0,
      dropped: 0,
    });
  }, 100);
  try {
    const run = await runProcessFault({ op: 'kill', target: 'db' }, 300, {
      processes,
      timeline,
      clock: systemClock,
      stop: never,
      interrupt: never,
    });
    const { load } = run.record;
    expect(load?.ticks).toBeGreaterThanOrEqual(3);
    expect(load?.requests).toBe(load!.ticks * 10);
    expect(load?.errors).toBeGreaterThanOrEqual(8);
    expect(load?.clearAt).toBeDefined();
    expect(Date.parse(load!.clearAt!)).toBeGreaterThanOrEqual(Date.parse(run.record.readyAt!));
    expect(run.output).toContain(
      `; load meanwhile: ${load!.errors} errors of ${load!.requests} requests (${load!.ticks} s), none from ${load!.clearAt}`,
    );
  } finally {
    clearInterval(ticker);
  }
});
