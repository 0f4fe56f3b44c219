/**
 * Fault gateway overhead with no fault: req/s through the gateway divided by req/s straight to the
 * upstream, measured in the same run with the same load generator (wrk when found, else autocannon).
 * The upstream and the gateway each run in their own process, as they do in `opsproof gate`.
 *
 *   npx tsx bench/gateway.bench.ts [--duration 5] [--connections 50] [--upstream demo|tiny] [--fault SPEC]
 *
 * `demo` (default) puts the gateway in front of the demo service, as the gate does; `tiny` in front of
 * a bare JSON server, the worst case (the gateway then does more work per request than the upstream).
 * `--fault SPEC` keeps that fault active for the whole run (e.g. one whose path matches nothing, to
 * measure the HTTP path with per-fault matching and counting instead of the no-fault pass-through).
 *
 * Goal: ratio ≥ 0.7.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { findTool } from '../core/tools.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const durationS = flag('duration', 5);
const connections = flag('connections', 50);
const upstreamKind = args.includes('--upstream') ? args[args.indexOf('--upstream') + 1] : 'demo';
const faultSpec = args.includes('--fault') ? args[args.indexOf('--fault') + 1] : undefined;
const demoServer = fileURLToPath(new URL('../demo/server.ts', import.meta.url));
const gatewayModule = fileURLToPath(new URL('../chaos/fault-gateway.ts', import.meta.url));
const specModule = fileURLToPath(new URL('../chaos/parse-fault-spec.ts', import.meta.url));

/** A small JSON API, the shape of the demo service's hot path, in its own process. */
const UPSTREAM = `
import http from 'node:http';
const items = Array.from({ length: 20 }, (_, i) => ({ id: i, sensor: 's' + i, value: i * 1.5, unit: 'celsius' }));
const server = http.createServer((req, res) => {
  const body = JSON.stringify({ items });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => console.log('http://127.0.0.1:' + server.address().port));`;

const GATEWAY = `
import { startFaultGateway } from ${JSON.stringify(gatewayModule)};
import { parseFaultSpec } from ${JSON.stringify(specModule)};
const gateway = await startFaultGateway({ upstream: process.argv[1] });
if (process.argv[2]) gateway.addFault(parseFaultSpec(process.argv[2]), 3_600_000);
console.log(gateway.url);`;

/** Spawns node with `argv` and resolves with the first URL it prints; the rest of stdout is drained. */
function startProcess(argv: string[], extra: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...argv, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`process exited with ${code}`)));
    let found = false;
    child.stdout!.on('data', (chunk: Buffer) => {
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(String(chunk))?.[0];
      if (!found && url) {
        found = true;
        resolve({ child, url });
      }
    });
  });
}

async function measure(url: string): Promise<number> {
  const wrk = findTool('wrk');
  if (wrk) {
    const { stdout } = await promisify(execFile)(wrk, [
      '-t1',
      `-c${connections}`,
      `-d${durationS}s`,
      `${url}/api/measurements`,
    ]);
    const match = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
    if (!match) throw new Error(`could not read wrk output:\n${stdout}`);
    return Number(match[1]);
  }
  const result = await autocannon({
    url: `${url}/api/measurements`,
    connections,
    duration: durationS,
    workers: 1,
  });
  return result.requests.average;
}

/** The demo service on a free port with its log lines to /dev/null (the bench measures the proxy, not a log pipe). */
async function startDemo(): Promise<{ child: ChildProcess; url: string }> {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', demoServer, '--port', String(port)], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 200; i++) {
    const ready = await fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { child, url };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('the demo service did not become ready');
}

const upstream =
  upstreamKind === 'tiny' ? await startProcess(['--input-type=module', '-e', UPSTREAM]) : await startDemo();
const gateway = await startProcess(
  ['--import', 'tsx', '--input-type=module', '-e', GATEWAY],
  [upstream.url, ...(faultSpec ? [faultSpec] : [])],
);
try {
  await measure(upstream.url); // warm both up (JIT, keep-alive pools)
  await measure(gateway.url);
  const direct = await measure(upstream.url);
  const through = await measure(gateway.url);
  const ratio = through / direct;
  console.log(
    JSON.stringify({
      bench: 'gateway-overhead',
      upstream: upstreamKind,
      ...(faultSpec ? { fault: faultSpec } : {}),
      loadGenerator: findTool('wrk') ? 'wrk' : 'autocannon',
      connections,
      durationS,
      directRps: Math.round(direct),
      gatewayRps: Math.round(through),
      ratio: Math.round(ratio * 1000) / 1000,
      goal: 0.7,
      met: ratio >= 0.7,
    }),
  );
} finally {
  gateway.child.kill();
  upstream.child.kill();
}
