import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LoadedSuite } from '../core/load-config.ts';
import { suiteSchema } from '../core/schema.ts';
import { Timeline } from '../core/timeline.ts';
import { requireTool } from '../core/tools.ts';
import { startDemoServer } from '../demo/server.ts';
import { EmbeddedTelemetry } from '../telemetry/embedded/embedded-telemetry.ts';
import { loadCanaries } from './load-canaries.ts';
import { runCanaries } from './run-canaries.ts';

const chromium = requireTool('chromium');
const repo = join(import.meta.dirname, '..');
const config = { concurrency: 3, retries: 0, timeout: '20s', stepTimeout: '5s' };

function suiteWith(files: string[], dir: string): LoadedSuite {
  const suite = suiteSchema.parse({
    service: 'test',
    environments: { local: { target: 'http://127.0.0.1:1' } },
    canaries: { files },
  });
  return { suite, file: join(dir, 'opsproof.config.ts'), dir, warnings: [] };
}

let outDir: string;
beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'opsproof-canaries-'));
});
afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
});

describe.skipIf(chromium.skip)('demo canaries against the demo service', () => {
  test('all pass, with events and CloudWatchSynthetics metrics', async () => {
    const demo = await startDemoServer({ port: 0, log: () => {} });
    try {
      const loaded = await loadCanaries(suiteWith(['demo/canaries/*.canary.ts'], repo));
      expect(loaded.failures).toEqual([]);
      expect(loaded.canaries.map((c) => c.definition.options.name).sort()).toEqual([
        'api-roundtrip',
        'health',
        'web-form',
      ]);
      const timeline = new Timeline();
      const telemetry = new EmbeddedTelemetry();
      const { canaries } = await runCanaries({
        ...loaded,
        baseUrl: demo.url,
        env: 'local',
        config,
        timeline,
        telemetry,
        outDir,
      });
      expect(canaries.map((c) => [c.name, c.status, c.error])).toEqual(
        expect.arrayContaining([
          ['health', 'passed', undefined],
          ['api-roundtrip', 'passed', undefined],
          ['web-form', 'passed', undefined],
        ]),
      );
      const web = canaries.find((c) => c.name === 'web-form');
      expect(web?.steps.map((s) => s.name)).toEqual(['open form', 'fill form', 'save']);
      expect(timeline.ofType('canary.step').filter((e) => e.canary === 'health')).toHaveLength(3);
      expect(timeline.ofType('canary.end').every((e) => e.status === 'passed')).toBe(true);
      const success = telemetry.metrics.get({
        Namespace: 'CloudWatchSynthetics',
        MetricName: 'SuccessPercent',
        Dimensions: [{ Name: 'CanaryName', Value: 'api-roundtrip' }],
      });
      expect(success?.samples.map((s) => s.value)).toEqual([100]);
      const stepDuration = telemetry.metrics.get({
        Namespace: 'CloudWatchSynthetics',
        MetricName: 'Duration',
        Dimensions: [
          { Name: 'CanaryName', Value: 'web-form' },
          { Name: 'StepName', Value: 'save' },
        ],
      });
      expect(stepDuration?.samples).toHaveLength(1);
    } finally {
      await demo.close();
    }
  });

  test('with the target down, each canary fails naming its step; the browser step leaves a screenshot', async () => {
    const demo = await startDemoServer({ port: 0, log: () => {} });
    const url = demo.url;
    await demo.close();
    const loaded = await loadCanaries(suiteWith(['demo/canaries/*.canary.ts'], repo));
    const telemetry = new EmbeddedTelemetry();
    const { canaries, artifacts } = await runCanaries({
      ...loaded,
      baseUrl: url,
      env: 'local',
      config: { ...config, retries: 1 },
      timeline: new Timeline(),
      telemetry,
      outDir,
    });
    const web = canaries.find((c) => c.name === 'web-form');
    expect(web?.status).toBe('failed');
    expect(web?.attempts).toBe(2);
    expect(web?.error).toMatch(/^step "open form" failed: .*ERR_CONNECTION_REFUSED/);
    const shot = web?.steps[0]?.artifacts?.[0];
    expect(shot).toMatch(/\.png$/);
    expect(existsSync(join(outDir, shot ?? 'missing'))).toBe(true);
    const health = canaries.find((c) => c.name === 'health');
    expect(health?.error).toMatch(/^step "live" failed: GET .* connection refused \(ECONNREFUSED\)/);
    const snippet = artifacts.find((a) => a.kind === 'snippet' && a.name.startsWith('health'));
    expect(await readFile(join(outDir, snippet?.path ?? 'missing'), 'utf8')).toContain('status: no response');
    const success = telemetry.metrics.get({
      Namespace: 'CloudWatchSynthetics',
      MetricName: 'SuccessPercent',
      Dimensions: [{ Name: 'CanaryName', Value: 'web-form' }],
    });
    expect(success?.samples.map((s) => s.value)).toEqual([0]);
  });
});

describe('bad input is a failed canary naming the canary and step, never a crash', () => {
  let dir: string;
  let hanging: Server;
  let plain: Server;
  let hangingUrl: string;
  let plainUrl: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'opsproof-bad-canaries-'));
    hanging = createServer(() => {}); // never answers
    plain = createServer((_req, res) => res.end('plain http'));
    await Promise.all([
      new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r)),
      new Promise<void>((r) => plain.listen(0, '127.0.0.1', r)),
    ]);
    hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
    plainUrl = `https://127.0.0.1:${(plain.address() as AddressInfo).port}`;
    const api = (name: string, body: string) =>
      `import { defineCanary } from 'opsproof';\nexport default defineCanary({ name: '${name}', type: 'api', stepTimeout: '400ms' }, async ({ http, step, baseUrl }) => {\n${body}\n});\n`;
    await writeFile(join(dir, 'throws.canary.ts'), `throw new Error('boom at import');\n`);
    await writeFile(join(dir, 'no-steps.canary.ts'), api('no-steps', 'await http.get(baseUrl);'));
    await writeFile(join(dir, 'dup-a.canary.ts'), api('dup', "await step('a', async () => {});"));
    await writeFile(join(dir, 'dup-b.canary.ts'), api('dup', "await step('b', async () => {});"));
    await writeFile(
      join(dir, 'dns.canary.ts'),
      api('dns', "await step('resolve', async () => { await http.get('http://no-such-host.invalid/'); });"),
    );
    await writeFile(
      join(dir, 'timeout.canary.ts'),
      api('timeout', `await step('wait', async () => { await http.get('${hangingUrl}/'); });`),
    );
    await writeFile(
      join(dir, 'tls.canary.ts'),
      api('tls', `await step('handshake', async () => { await http.get('${plainUrl}/'); });`),
    );
    await writeFile(join(dir, 'not-a-canary.canary.ts'), 'export default { name: "x" };\n');
  });
  afterAll(async () => {
    hanging.closeAllConnections();
    hanging.close();
    plain.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('each problem is reported', async () => {
    const loaded = await loadCanaries(suiteWith(['*.canary.ts'], dir));
    const { canaries } = await runCanaries({
      ...loaded,
      baseUrl: 'http://127.0.0.1:9',
      env: 'url',
      config,
      timeline: new Timeline(),
      outDir,
    });
    const byName = new Map(canaries.map((c) => [c.name, c]));
    // The first "dup" is a valid canary; its namesake in dup-b is the failure.
    expect(canaries.filter((c) => c.status === 'passed').map((c) => c.name)).toEqual(['dup']);
    expect(byName.get('throws')?.error).toMatch(/could not load .*throws\.canary\.ts: boom at import/);
    expect(byName.get('not-a-canary')?.error).toMatch(/no canary as its default export/);
    expect(byName.get('no-steps')?.error).toMatch(/outside any step: GET http:\/\/127\.0\.0\.1:9 failed/);
    expect(canaries.find((c) => c.status === 'failed' && c.name === 'dup')?.error).toMatch(
      /^duplicate canary name "dup": defined in .*dup-a\.canary\.ts and in .*dup-b\.canary\.ts$/,
    );
    expect(byName.get('dns')?.error).toMatch(/^step "resolve" failed: .*DNS lookup failed/);
    expect(byName.get('timeout')?.error).toMatch(/^step "wait" failed: .*timed out after 400 ms/);
    expect(byName.get('tls')?.error).toMatch(/^step "handshake" failed: .*(TLS|SSL|EPROTO)/);
  });

  test('a canary that catches no failure but runs no step fails', async () => {
    await writeFile(
      join(dir, 'empty.canary.ts'),
      "import { defineCanary } from 'opsproof';\nexport default defineCanary({ name: 'empty', type: 'api' }, async () => {});\n",
    );
    const loaded = await loadCanaries(suiteWith(['empty.canary.ts'], dir));
    const { canaries } = await runCanaries({
      ...loaded,
      baseUrl: 'http://127.0.0.1:9',
      env: 'url',
      config,
      timeline: new Timeline(),
      outDir,
    });
    expect(canaries[0]?.error).toBe('the canary ran no steps; wrap each check in step(name, fn)');
  });
});

// `canary watch` retries a failed canary after a pause doubled per retry before the run counts as failed.
describe('retries with backoff', () => {
  let dir: string;
  let server: Server;
  let url: string;
  const arrivals: number[] = [];
  let failFirst = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'opsproof-retry-canaries-'));
    server = createServer((req, res) => {
      req.resume();
      arrivals.push(performance.now());
      res.statusCode = arrivals.length <= failFirst ? 503 : 200;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await writeFile(
      join(dir, 'flaky.canary.ts'),
      `import { defineCanary } from 'opsproof';
export default defineCanary({ name: 'flaky', type: 'api', retries: 2 }, async ({ http, step, baseUrl }) => {
  await step('root', async () => {
    const res = await http.get(baseUrl + '/');
    if (res.status !== 200) throw new Error('root returned ' + res.status);
  });
});
`,
    );
  });
  afterAll(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function runFlaky(failing: number, retryBackoffMs: number) {
    arrivals.length = 0;
    failFirst = failing;
    const timeline = new Timeline();
    const loaded = await loadCanaries(suiteWith(['flaky.canary.ts'], dir));
    const { canaries } = await runCanaries({
      ...loaded,
      baseUrl: url,
      env: 'local',
      config,
      timeline,
      outDir,
      retryBackoffMs,
    });
    const gaps = arrivals.slice(1).map((t, i) => t - (arrivals[i] ?? t));
    return { result: canaries[0], gaps, starts: timeline.ofType('canary.start').map((e) => e.attempt) };
  }

  test.each([
    ['two failed attempts, then a pass: the run passes on its third attempt', 2, 'passed', 3],
    ['three failed attempts: the run fails after its two retries', 3, 'failed', 3],
    ['a first attempt that passes is not retried', 0, 'passed', 1],
  ] as const)('%s', async (_what, failing, status, attempts) => {
    const { result, gaps, starts } = await runFlaky(failing, 150);
    expect(result?.status).toBe(status);
    expect(result?.attempts).toBe(attempts);
    expect(starts).toEqual([1, 2, 3].slice(0, attempts));
    // The pause before retry N is 150 ms × 2^(N-1): at least 150 ms, then at least 300 ms.
    expect(gaps).toHaveLength(attempts - 1);
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(150 * 2 ** i - 5);
    });
  });
});
