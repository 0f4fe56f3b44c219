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
  | { kind: 'fast' }
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
  : b.kind === 'fast'
  ? (req, res) => { req.resume(); res.end('ok'); }
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
export const startFastServer = () => startBehaviourServer({ kind: 'fast' });
export const startStallingServer = (o: { stallMs: number; periodMs: number }) =>
  startBehaviourServer({ kind: 'stall', ...o });
