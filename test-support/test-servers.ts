import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';

/**
 * Loopback HTTP servers with known latency behaviour, for load tests and benches. They run in a
 * worker thread by default so the server's timers do not share an event loop with the load
 * generator (in one thread, each side's work delays the other's timers and both get blamed).
 */
export interface TestServer {
  url: string;
  close(): Promise<void>;
}

export type ServerBehaviour =
  | { kind: 'fixed'; ms: number }
  | { kind: 'stall'; stallMs: number; periodMs: number };

export function startServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestServer> {
  const server = createServer({ keepAliveTimeout: 60_000 }, handler);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

export interface JsonReceiver extends TestServer {
  /** Each request's path and JSON body, in the order they arrived. */
  received: { path: string; body: unknown }[];
}

/**
 * A webhook receiver on port 0 in this thread: records the path and JSON body of every request and
 * answers `statusOf(path)` (200 unless told), e.g. 500 for a path that stands for a broken receiver.
 */
export async function startJsonReceiver(
  statusOf: (path: string) => number = () => 200,
): Promise<JsonReceiver> {
  const received: JsonReceiver['received'] = [];
  const server = await startServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    received.push({ path: req.url ?? '', body: JSON.parse(text) });
    res.statusCode = statusOf(req.url ?? '');
    res.end();
  });
  return { ...server, received };
}

/**
 * Behaviours, run in a worker thread. `stall`: for `stallMs` once every `periodMs` (from the server's
 * start) every request is held until the window ends, otherwise it answers at once — what a
 * stop-the-world GC pause or a lock looks like from outside.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createServer } = require('node:http');
const b = workerData;
const origin = performance.now();
const handler = b.kind === 'fixed'
  ? (req, res) => { req.resume(); setTimeout(() => res.end('ok'), b.ms); }
  : (req, res) => {
      req.resume();
      const phase = (performance.now() - origin) % b.periodMs;
      if (phase < b.stallMs) setTimeout(() => res.end('ok'), b.stallMs - phase); else res.end('ok');
    };
const server = createServer({ keepAliveTimeout: 60000 }, handler);
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
parentPort.on('message', () => { server.closeAllConnections(); server.close(() => process.exit(0)); });
`;

/** Starts a behaviour in its own thread (the default for tests and benches). */
export function startBehaviourServer(behaviour: ServerBehaviour): Promise<TestServer> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: behaviour });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (port: number) =>
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: async () => {
          worker.postMessage('close');
          await new Promise((done) => worker.once('exit', done));
        },
      }),
    );
  });
}

export const startFixedDelayServer = (ms: number) => startBehaviourServer({ kind: 'fixed', ms });
export const startStallingServer = (o: { stallMs: number; periodMs: number }) =>
  startBehaviourServer({ kind: 'stall', ...o });

/**
 * What a child-process server did: the time from each request's arrival at its handler to the end of
 * its response (ms, in arrival order), and, for `stall`, how long each stall actually lasted.
 */
export interface ServerRecord {
  handledMs: number[];
  stallsMs: number[];
}

export interface RecordingServer {
  url: string;
  /** Stops the server and returns what it did. */
  close(): Promise<ServerRecord>;
}

/**
 * Behaviours in a child process of their own, recording what they did. `fixed`: every request
 * answered after `ms`. `block`: every request answered after `ms`, and once every `periodMs` (from
 * the server's start) the process busy-waits `stallMs` — its whole event loop stops, as in a
 * stop-the-world GC pause, so requests arriving then are not even read until the stall ends.
 */
export type RecordingBehaviour =
  | { kind: 'fixed'; ms: number }
  | { kind: 'block'; ms: number; stallMs: number; periodMs: number };

const CHILD_SOURCE = `
const { createServer } = require('node:http');
const b = JSON.parse(process.env.OPSPROOF_TEST_SERVER);
const handledMs = [];
const stallsMs = [];
const server = createServer({ keepAliveTimeout: 60000 }, (req, res) => {
  const at = performance.now();
  req.resume();
  res.on('finish', () => handledMs.push(performance.now() - at));
  setTimeout(() => res.end('ok'), b.ms);
});
if (b.kind === 'block') {
  const origin = performance.now();
  let k = 1;
  const stall = () => {
    const from = performance.now();
    while (performance.now() - from < b.stallMs) {}
    stallsMs.push(performance.now() - from);
    k += 1;
    setTimeout(stall, Math.max(origin + k * b.periodMs - performance.now(), 0));
  };
  setTimeout(stall, b.periodMs);
}
server.listen(0, '127.0.0.1', () => process.send(server.address().port));
process.on('message', () => {
  server.closeAllConnections();
  server.close();
  process.send({ handledMs, stallsMs }, () => process.exit(0));
});
`;

/** Starts a recording behaviour in a child process (stalls there stop only the server's event loop). */
export function startRecordingServer(behaviour: RecordingBehaviour): Promise<RecordingServer> {
  const child = spawn(process.execPath, ['-e', CHILD_SOURCE], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, OPSPROOF_TEST_SERVER: JSON.stringify(behaviour) },
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`test server exited (${code}) before listening`)));
    child.once('message', (port) => {
      child.removeAllListeners('exit');
      resolve({
        url: `http://127.0.0.1:${port as number}`,
        close: () =>
          new Promise<ServerRecord>((done, fail) => {
            child.once('message', (record) => done(record as ServerRecord));
            child.once('exit', (code) => fail(new Error(`test server exited (${code}) without its record`)));
            child.send('close');
          }),
      });
    });
  });
}

/** The value at percentile `p` (0..100) of `values` (nearest rank, as HDR histograms read). */
export function percentileOf(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * The latencies a client sees from a `block` server, arrivals spread evenly over its period: one
 * arriving during a stall is read when the stall ends and answered `serviceMs` later; one whose
 * answer falls due during a stall gets it when the stall ends; the rest take `serviceMs`. `serviceMs`
 * is what the server measured itself (its median handling time), `stallMs` the stalls' mean length.
 */
export function blockServerLatencies(o: { serviceMs: number; stallMs: number; periodMs: number }): number[] {
  const samples = 100_000;
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const phase = ((i + 0.5) / samples) * o.periodMs;
    if (phase < o.stallMs) out.push(o.stallMs - phase + o.serviceMs);
    else if (phase + o.serviceMs > o.periodMs) out.push(o.periodMs + o.stallMs - phase);
    else out.push(o.serviceMs);
  }
  return out;
}
