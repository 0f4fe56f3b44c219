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
  await withPool({ maxConnections: 5 }, async (pool) => {
    const xs = Array.from({ length: 20 }, () => exchange(pool, '/?delay=30'));
    for (const x of xs) pool.send(x);
    expect(pool.size).toBe(5);
    expect(pool.waiting).toBe(15);
    expect(await Promise.all(xs.map((x) => x.done))).toEqual(Array(20).fill(200));
    expect(pool.size).toBe(5);
    expect(pool.waiting).toBe(0);
  });
});

test('a slow target gets a connection per concurrent request at once, not a ramp', async () => {
  await withPool({}, async (pool) => {
    const started = performance.now();
    const xs = Array.from({ length: 40 }, () => exchange(pool, '/?delay=200'));
    for (const x of xs) pool.send(x);
    expect(pool.size).toBe(40);
    expect(pool.waiting).toBe(0);
    expect(await Promise.all(xs.map((x) => x.done))).toEqual(Array(40).fill(200));
    // Served side by side: one 200 ms round, not several.
    expect(performance.now() - started).toBeLessThan(500);
  });
});

test('an exchange that may not open a connection waits for one to free up, oldest first', async () => {
  await withPool({}, async (pool) => {
    const busy = exchange(pool, '/?delay=50');
    pool.send(busy);
    const first = exchange(pool);
    const second = exchange(pool);
    pool.send(first, false);
    pool.send(second, false);
    expect(pool.size).toBe(1);
    expect(pool.waiting).toBe(2);
    // One that may open does not queue behind them.
    const onTime = exchange(pool, '/?delay=10');
    pool.send(onTime);
    expect(pool.size).toBe(2);
    const order: string[] = [];
    await Promise.all([
      first.done.then(() => order.push('first')),
      second.done.then(() => order.push('second')),
      onTime.done.then(() => order.push('onTime')),
      busy.done,
    ]);
    expect(order).toEqual(['onTime', 'first', 'second']);
    expect(pool.waiting).toBe(0);
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

test('openForWaiting: waiting exchanges get new connections once none has freed up for quietMs', async () => {
  await withPool({}, async (pool) => {
    const busy = exchange(pool, '/?delay=300');
    pool.send(busy);
    const waiters = Array.from({ length: 3 }, () => exchange(pool, '/?delay=10'));
    for (const x of waiters) pool.send(x, false);
    pool.openForWaiting(20);
    expect(pool.waiting).toBe(3); // not quiet long enough yet
    await new Promise((r) => setTimeout(r, 30));
    pool.openForWaiting(20, 25);
    expect(pool.waiting).toBe(3); // the caller's own pause does not count as quiet
    pool.openForWaiting(20);
    expect(pool.waiting).toBe(0);
    expect(pool.size).toBe(4);
    const started = performance.now();
    await Promise.all(waiters.map((x) => x.done));
    // Served on their own connections, not behind the 300 ms request.
    expect(performance.now() - started).toBeLessThan(200);
    await busy.done;
  });
});
