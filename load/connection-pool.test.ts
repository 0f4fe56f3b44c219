import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type Connection, ConnectionPool, type PooledExchange } from './connection-pool.ts';

let server: http.Server;
let origin: string;
const sockets = new Set<Socket>();
let accepted = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const delay = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('delay') ?? 0);
    req.resume();
    setTimeout(() => res.end('ok'), delay);
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
    waitingSince: 0,
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

test('a late request (mayOpen false) waits for a busy connection instead of opening one', async () => {
  await withPool({}, async (pool) => {
    const first = exchange(pool, '/?delay=50');
    pool.send(first);
    const late = exchange(pool);
    pool.send(late, false);
    expect(pool.size).toBe(1);
    expect(pool.waiting).toBe(1);
    expect(await late.done).toBe(200);
    expect(await first.done).toBe(200);
    expect(pool.size).toBe(1);
  });
});

test('late requests open a connection once the oldest has waited openAfterWaitMs', async () => {
  await withPool({ openAfterWaitMs: 20 }, async (pool) => {
    const slow = exchange(pool, '/?delay=300');
    pool.send(slow);
    const waiter = exchange(pool);
    pool.send(waiter, false);
    expect(pool.size).toBe(1);
    const lateSoon = exchange(pool);
    pool.send(lateSoon, false); // the backlog is fresh: still no new connection
    expect(pool.size).toBe(1);
    await new Promise((r) => setTimeout(r, 30));
    const lateLater = exchange(pool);
    pool.send(lateLater, false); // the oldest has waited 30 ms: open one, for the oldest
    expect(pool.size).toBe(2);
    const first = await Promise.race([waiter.done.then(() => 'waiter'), slow.done.then(() => 'slow')]);
    expect(first).toBe('waiter');
    await Promise.all([slow.done, lateSoon.done, lateLater.done]);
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
