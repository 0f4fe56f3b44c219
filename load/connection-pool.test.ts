import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type Connection, ConnectionPool, type PooledExchange } from './connection-pool.ts';

let server: http.Server;
let origin: string;
const sockets = new Set<Socket>();
let accepted = 0;

/** `?serial=MS`: answered one at a time, MS each (a saturated target: more connections cannot help). */
let serialBusyUntil = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    req.resume();
    const serial = Number(query.get('serial') ?? 0);
    if (serial) {
      serialBusyUntil = Math.max(serialBusyUntil, performance.now()) + serial;
      setTimeout(() => res.end('ok'), serialBusyUntil - performance.now());
      return;
    }
    setTimeout(() => res.end('ok'), Number(query.get('delay') ?? 0));
  });
  server.on('connection', (socket: Socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** A minimal exchange that releases its connection when done and resolves with its status. */
function exchange(pool: ConnectionPool, path = '/'): PooledExchange & { done: Promise<number> } {
  let resolve: (status: number) => void = () => {};
  const done = new Promise<number>((r) => {
    resolve = r;
  });
  let status = 0;
  const x: PooledExchange & { done: Promise<number>; settled: boolean } = {
    connection: undefined as Connection | undefined,
    settled: false,
    dispatchOptions: { origin, path, method: 'GET' } as Dispatcher.DispatchOptions,
    done,
    onConnect() {},
    onHeaders(code: number) {
      status = code;
      return true;
    },
    onData: () => true,
    onComplete() {
      x.settled = true;
      pool.release(x);
      resolve(status);
    },
    onError() {
      x.settled = true;
      pool.release(x);
      resolve(-1);
    },
  };
  return x;
}

async function withPool(
  options: Partial<ConstructorParameters<typeof ConnectionPool>[1]>,
  body: (pool: ConnectionPool) => Promise<void>,
): Promise<void> {
  const pool = new ConnectionPool(origin, {
    maxConnections: 100,
    maxConnecting: 16,
    idleTimeoutMs: 60_000,
    ...options,
  });
  const before = accepted;
  try {
    await body(pool);
  } finally {
    await pool.destroy();
  }
  // Every connection the pool opened was accepted by the server (nothing went elsewhere).
  expect(accepted).toBeGreaterThan(before);
}

test('sequential requests reuse one connection', async () => {
  await withPool({}, async (pool) => {
    const before = accepted;
    for (let i = 0; i < 20; i++) {
      const x = exchange(pool);
      pool.send(x);
      expect(await x.done).toBe(200);
    }
    expect(accepted - before).toBe(1);
    expect(pool.size).toBe(1);
  });
});

test('concurrent on-time requests open connections up to maxConnections', async () => {
  await withPool({ maxConnections: 5, maxConnecting: 5 }, async (pool) => {
    const xs = Array.from({ length: 20 }, () => exchange(pool, '/?delay=30'));
    for (const x of xs) pool.send(x);
    expect(pool.size).toBe(5);
    expect(pool.waiting).toBe(15);
    expect(await Promise.all(xs.map((x) => x.done))).toEqual(Array(20).fill(200));
    expect(pool.size).toBe(5);
    expect(pool.waiting).toBe(0);
  });
});

test('a new connection serves the longest-waiting request first', async () => {
  await withPool({ maxConnecting: 1 }, async (pool) => {
    const slow = exchange(pool, '/?delay=200');
    pool.send(slow); // opens the one connection allowed to be connecting
    const waiter = exchange(pool);
    pool.send(waiter); // limit reached: waits
    expect(pool.waiting).toBe(1);
    await new Promise((r) => setTimeout(r, 30)); // the first connect completes
    const newcomer = exchange(pool, '/?delay=100');
    pool.send(newcomer); // opens a connection, which takes `waiter`; newcomer waits
    const order: string[] = [];
    await Promise.all([
      waiter.done.then(() => order.push('waiter')),
      newcomer.done.then(() => order.push('newcomer')),
      slow.done.then(() => order.push('slow')),
    ]);
    expect(order[0]).toBe('waiter');
  });
});

test('settled waiting exchanges are skipped', async () => {
  await withPool({ maxConnections: 1 }, async (pool) => {
    const busy = exchange(pool, '/?delay=30');
    pool.send(busy);
    const gaveUp = exchange(pool);
    pool.send(gaveUp);
    (gaveUp as { settled: boolean }).settled = true; // e.g. timed out while waiting
    const next = exchange(pool);
    pool.send(next);
    expect(await busy.done).toBe(200);
    expect(await next.done).toBe(200);
    expect(gaveUp.connection).toBeUndefined();
  });
});

test('closeIdle closes connections idle longer than the timeout', async () => {
  await withPool({ idleTimeoutMs: 50 }, async (pool) => {
    const xs = Array.from({ length: 3 }, () => exchange(pool, '/?delay=10'));
    for (const x of xs) pool.send(x);
    await Promise.all(xs.map((x) => x.done));
    expect(pool.size).toBe(3);
    pool.closeIdle();
    expect(pool.size).toBe(3);
    await new Promise((r) => setTimeout(r, 60));
    pool.closeIdle();
    expect(pool.size).toBe(0);
    for (let i = 0; i < 50 && sockets.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(sockets.size).toBe(0);
  });
});

/**
 * Sends `rate` requests per second to `path` for `ms`, calling `adjust` as the engine does; returns
 * the pool's size and limit sampled every 100 ms.
 */
async function drive(pool: ConnectionPool, path: string, rate: number, ms: number) {
  const seen: { size: number; limit: number }[] = [];
  const pending: Promise<number>[] = [];
  const started = performance.now();
  let sent = 0;
  let lastSample = started;
  while (performance.now() - started < ms) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    for (; sent < due; sent++) {
      const x = exchange(pool, path);
      pool.send(x);
      pending.push(x.done);
    }
    pool.adjust();
    if (performance.now() - lastSample >= 100) {
      lastSample = performance.now();
      seen.push({ size: pool.size, limit: pool.limit });
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return { seen, statuses: await Promise.all(pending) };
}

test('the limit grows from initialConnections while more connections raise throughput', async () => {
  // 10 ms per request, served in parallel, at 1 000 req/s: 10 connections carry it, 2 carry 200 req/s.
  await withPool({ initialConnections: 2, maxConnections: 50 }, async (pool) => {
    expect(pool.limit).toBe(2);
    const { seen, statuses } = await drive(pool, '/?delay=10', 1000, 2500);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(seen[0]!.limit).toBeLessThanOrEqual(3);
    const peak = Math.max(...seen.map((s) => s.limit));
    expect(peak).toBeGreaterThanOrEqual(8);
    expect(peak).toBeLessThanOrEqual(50);
    expect(Math.max(...seen.map((s) => s.size))).toBeLessThanOrEqual(peak);
  });
});

test('the limit does not grow for a target that more connections cannot speed up', async () => {
  // One request at a time, 5 ms each (200 req/s at most), offered 300 req/s: a backlog all along.
  await withPool({ initialConnections: 4, maxConnections: 100 }, async (pool) => {
    const { seen } = await drive(pool, '/?serial=5', 300, 2000);
    // Steps are tried (4 → 6 → 9 at most) and undone: nowhere near the 100 the backlog would take.
    expect(Math.max(...seen.map((s) => s.limit))).toBeLessThanOrEqual(9);
    expect(seen.at(-1)!.limit).toBeLessThanOrEqual(6);
    expect(pool.size).toBeLessThanOrEqual(9);
  });
});

test('adjust() with initialConnections = maxConnections keeps the limit fixed', async () => {
  await withPool({ initialConnections: 3, maxConnections: 3 }, async (pool) => {
    const { seen } = await drive(pool, '/?delay=20', 200, 800);
    expect(new Set(seen.map((s) => s.limit))).toEqual(new Set([3]));
  });
});
