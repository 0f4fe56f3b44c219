import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { repoRoot } from '../core/tools.ts';

/** Ad hoc runs (`--url`) work from a folder with no opsproof config at all. */
const bin = join(repoRoot, 'bin', 'opsproof.js');
let server: Server;
let url: string;
let cwd: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(req.url === '/broken' ? 500 : 200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cwd = mkdtempSync(join(tmpdir(), 'opsproof-adhoc-'));
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

function run(
  args: string[],
  dir = cwd,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: dir,
      env: { ...process.env, OPSPROOF_SCREENSHOT: '0', NO_COLOR: '1', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

test('load run --url --rate needs no config file', async () => {
  const { code, stdout, stderr } = await run([
    'load',
    'run',
    '--url',
    url,
    '--rate',
    '50',
    '--duration',
    '1s',
    '--json',
  ]);
  expect(stderr).not.toMatch(/no opsproof config/);
  expect(code).toBe(0);
  const result = JSON.parse(stdout);
  expect(result.service).toBe('adhoc');
  expect(result.load.requests).toBeGreaterThanOrEqual(40);
});

test('in a project, load run --url runs against that URL and says so in result.json', async () => {
  const project = mkdtempSync(join(tmpdir(), 'opsproof-adhoc-project-'));
  writeFileSync(
    join(project, 'opsproof.config.ts'),
    `import { defineSuite } from 'opsproof';
export default defineSuite({ service: 'svc', environments: { local: { target: 'http://127.0.0.1:9' } } });
`,
  );
  const { code, stdout } = await run(
    ['load', 'run', '--url', url, '--rate', '20', '--duration', '1s', '--json'],
    project,
  );
  expect(code).toBe(0);
  const result = JSON.parse(stdout);
  expect(result.service).toBe('svc');
  expect(result.target).toBe(url);
  expect(result.load.target).toBe(url);
});

const trafficAlarmConfig = `import { defineSuite } from 'opsproof';
export default defineSuite({
  service: 'svc',
  environments: { local: { target: 'http://127.0.0.1:9', timeScale: 60 } },
  alarms: [{
    AlarmName: 'TrafficSeen', Namespace: 'AWS/ApiGateway', MetricName: 'Count', Statistic: 'Sum',
    Dimensions: [{ Name: 'ApiName', Value: 'svc' }],
    Period: 60, EvaluationPeriods: 1, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'notBreaching',
  }],
});
`;

/**
 * Exit 0, or 1 only for the generator's own send lag (kpi:generator-kept-up), which a busy shared
 * machine can fail on a small run: these tests are about where the requests go, not the generator.
 */
function expectPassedButSendLag(code: number | null, stdout: string, stderr: string): void {
  const result = JSON.parse(stdout) as { checks: { id: string; status: string }[] };
  const failed = result.checks.filter((c) => c.status !== 'passed').map((c) => c.id);
  expect(
    failed.filter((id) => id !== 'kpi:generator-kept-up'),
    stderr,
  ).toEqual([]);
  expect(code, stderr).toBe(failed.length === 0 ? 0 : 1);
}

test('load run --url puts the fault gateway in front when the embedded provider watches alarms: its requests feed them', async () => {
  const project = mkdtempSync(join(tmpdir(), 'opsproof-adhoc-alarms-'));
  writeFileSync(join(project, 'opsproof.config.ts'), trafficAlarmConfig);
  const { code, stdout, stderr } = await run(
    ['load', 'run', '--url', url, '--rate', '20', '--duration', '3s', '--json'],
    project,
  );
  expectPassedButSendLag(code, stdout, stderr);
  expect(stderr).toMatch(/load adhoc done/);
  // Only the gateway's request metrics can move a Count alarm of AWS/ApiGateway.
  expect(stderr).toMatch(/alarm TrafficSeen: \S+ → ALARM/);
  const result = JSON.parse(stdout);
  expect(result.target).toBe(url);
  expect(result.load.target).toBe(url);
});

test('an https target is fronted too: the gateway speaks TLS to it with its own Host header', async () => {
  // A certificate for 127.0.0.1, trusted by the opsproof process through NODE_EXTRA_CA_CERTS.
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-adhoc-tls-'));
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  execFileSync('openssl', [
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
    ...['-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'],
    ...['-addext', 'subjectAltName=IP:127.0.0.1'],
  ]);
  const hosts = new Set<string>();
  const tls = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    hosts.add(req.headers.host ?? '');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((done) => tls.listen(0, '127.0.0.1', done));
  const tlsUrl = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
  try {
    const project = mkdtempSync(join(tmpdir(), 'opsproof-adhoc-tls-project-'));
    writeFileSync(join(project, 'opsproof.config.ts'), trafficAlarmConfig);
    const { code, stdout, stderr } = await run(
      ['load', 'run', '--url', tlsUrl, '--rate', '20', '--duration', '3s', '--json'],
      project,
      { NODE_EXTRA_CA_CERTS: cert },
    );
    expectPassedButSendLag(code, stdout, stderr);
    expect(stderr).toMatch(/alarm TrafficSeen: \S+ → ALARM/);
    const result = JSON.parse(stdout);
    expect(result.target).toBe(tlsUrl);
    expect(result.load.errors).toBe(0);
    // Every request reached the service under its own name, not the gateway's loopback address.
    expect([...hosts]).toEqual([new URL(tlsUrl).host]);
  } finally {
    await new Promise<void>((done) => tls.close(() => done()));
  }
});

test('load run --url with watched alarms: a target that is down exits 3 before any load, not 502s from the gateway', async () => {
  const closed = createServer();
  await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((done) => closed.close(done));
  const project = mkdtempSync(join(tmpdir(), 'opsproof-adhoc-down-'));
  writeFileSync(join(project, 'opsproof.config.ts'), trafficAlarmConfig);
  const { code, stderr } = await run(
    ['load', 'run', '--url', `http://127.0.0.1:${port}`, '--rate', '20', '--duration', '1s'],
    project,
  );
  expect(code, stderr).toBe(3);
  expect(stderr).toContain(`target http://127.0.0.1:${port} is unreachable`);
});

test('canary run --url --file needs no config file', async () => {
  const file = join(cwd, 'ping.canary.ts');
  writeFileSync(
    file,
    `import { defineCanary } from 'opsproof';
export default defineCanary({ name: 'ping', type: 'api' }, async ({ http, step, baseUrl }) => {
  await step('root', async () => {
    const res = await http.get(baseUrl + '/');
    if (res.status !== 200) throw new Error('root returned ' + res.status);
  });
});
`,
  );
  const { code, stdout } = await run(['canary', 'run', '--url', url, '--file', file, '--json']);
  expect(code).toBe(0);
  expect(JSON.parse(stdout).canaries[0]).toMatchObject({ name: 'ping', status: 'passed' });
});

test('without --url, a missing config is still a config error (exit 2), its hint naming init', async () => {
  const { code, stderr } = await run(['load', 'run', '--rate', '5', '--duration', '1s']);
  expect(code).toBe(2);
  expect(stderr).toMatch(/no opsproof config/);
  expect(stderr).toContain('hint: write one for your service with opsproof init --url URL');
});
