import { describe, expect, test } from 'vitest';
import { EnvironmentError } from '../core/errors.ts';
import type { ResolvedEnvironment } from '../core/load-config.ts';
import { Timeline } from '../core/timeline.ts';
import { validateSuite } from '../core/validate-suite.ts';
import type { Telemetry } from '../telemetry/port.ts';
import type { MetricDatum } from '../telemetry/types.ts';
import {
  canFrontOutsideTarget,
  resolveReadyPath,
  startLocalTarget,
  withFaultGateway,
} from './local-target.ts';

// A tiny target: answers /health/ready, prints one line per request, listens on $PORT.
const SERVER = `
const http = require('node:http');
http.createServer((req, res) => {
  console.log(JSON.stringify({ path: req.url }));
  res.writeHead(req.url === '/health/ready' ? 200 : 404); res.end('ok');
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

function env(start: Record<string, unknown>): ResolvedEnvironment {
  const { suite, diagnostics } = validateSuite({
    service: 'svc',
    environments: { local: { target: 'http://127.0.0.1:0', start } },
  });
  if (!suite) throw new Error(JSON.stringify(diagnostics));
  return { ...suite.environments.local!, name: 'local' };
}

async function get(url: string): Promise<number | string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.status;
  } catch (error) {
    return (error as Error).name;
  }
}

describe('startLocalTarget with environments.X.start', () => {
  test('starts, pipes log lines, pauses, resumes, restarts, kills and stops the process', async () => {
    const lines: string[] = [];
    const timeline = new Timeline();
    const target = await startLocalTarget({
      env: env({ command: [process.execPath, '-e', SERVER] }),
      configDir: process.cwd(),
      timeline,
      onLog: (line, source) => lines.push(`${source}:${line}`),
    });
    try {
      expect(target).toBeDefined();
      expect(target!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await get(`${target!.url}/health/ready`)).toBe(200);
      expect(lines).toContain('stdout:{"path":"/health/ready"}');
      expect(timeline.ofType('target.start')).toHaveLength(1);

      target!.process!.pause();
      expect(target!.process!.running).toBe(false);
      expect(await get(`${target!.url}/health/ready`)).toBe('TimeoutError');
      target!.process!.resume();
      expect(target!.process!.running).toBe(true);
      expect(await get(`${target!.url}/health/ready`)).toBe(200);

      await target!.process!.kill('SIGKILL');
      expect(target!.process!.running).toBe(false);
      expect(await get(`${target!.url}/health/ready`)).toBe('TypeError');
      await target!.process!.restart();
      expect(await get(`${target!.url}/health/ready`)).toBe(200);
      expect(timeline.ofType('target.start')).toHaveLength(2);
    } finally {
      await target?.stop();
    }
    expect(await get(`${target!.url}/health/ready`)).toBe('TypeError');
    expect(timeline.ofType('target.exit').length).toBeGreaterThanOrEqual(2);
  });

  test('a process that exits before it is ready is an environment error naming it', async () => {
    const promise = startLocalTarget({
      env: env({ command: [process.execPath, '-e', 'console.error("no config"); process.exit(4)'] }),
      configDir: process.cwd(),
    });
    await expect(promise).rejects.toBeInstanceOf(EnvironmentError);
    await expect(promise).rejects.toThrow(/exited \(4\) before .* answered; last output: no config/);
  });

  test('a process that never gets ready times out', async () => {
    const promise = startLocalTarget({
      env: env({ command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'], readyTimeout: '500ms' }),
      configDir: process.cwd(),
    });
    await expect(promise).rejects.toThrow(/did not become ready/);
  });

  test('the environment readyPath wins over start.readyPath for the started-target wait', async () => {
    // Ready only on /alive: start.readyPath (/health/ready) alone would time out.
    const server = SERVER.replace("'/health/ready' ? 200", "'/alive' ? 200");
    const { suite, diagnostics } = validateSuite({
      service: 'svc',
      environments: {
        local: {
          target: 'http://127.0.0.1:0',
          readyPath: '/alive',
          start: {
            command: [process.execPath, '-e', server],
            readyPath: '/health/ready',
            readyTimeout: '10s',
          },
        },
      },
    });
    if (!suite) throw new Error(JSON.stringify(diagnostics));
    const target = await startLocalTarget({
      env: { ...suite.environments.local!, name: 'local' },
      configDir: '/',
    });
    try {
      expect(await get(`${target!.url}/alive`)).toBe(200);
    } finally {
      await target?.stop();
    }
  });

  test('no demo and no start: nothing to start', async () => {
    const { suite } = validateSuite({ service: 's', environments: { e: { target: 'http://127.0.0.1:1' } } });
    expect(
      await startLocalTarget({ env: { ...suite!.environments.e!, name: 'e' }, configDir: '/' }),
    ).toBeUndefined();
  });
});

test('withFaultGateway: clients go through the gateway, which records API metrics and injects faults', async () => {
  const put: { namespace: string; data: readonly MetricDatum[] }[] = [];
  const telemetry: Telemetry = {
    provider: 'embedded',
    putMetricData: async (namespace, data) => {
      put.push({ namespace, data });
    },
    getAlarmState: async () => undefined,
    getAlarmHistory: async () => [],
    findTraces: async () => [],
    findLogs: async () => [],
    close: async () => {},
  };
  const direct = await startLocalTarget({
    env: env({ command: [process.execPath, '-e', SERVER] }),
    configDir: process.cwd(),
  });
  const target = await withFaultGateway(direct!, { telemetry, apiName: 'svc' });
  try {
    expect(target.url).not.toBe(direct!.url);
    expect(target.directUrl).toBe(direct!.url);
    expect(await get(`${target.url}/health/ready`)).toBe(200);
    const res = await fetch(`${target.controlUrl}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ spec: 'error:status=503,percent=100', ttl: '30s' }),
    });
    expect(res.status).toBe(201);
    expect(await get(`${target.url}/health/ready`)).toBe(503);
    expect(await get(`${direct!.url}/health/ready`)).toBe(200);
  } finally {
    await target.stop();
  }
  expect(await get(`${direct!.url}/health/ready`)).toBe('TypeError');
  const names = put
    .filter((p) => p.namespace === 'AWS/ApiGateway')
    .flatMap((p) => p.data.map((d) => d.MetricName));
  expect(names).toContain('Count');
  expect(names).toContain('5XXError');
});

test.each([
  [{}, '/'],
  [{ readyPath: '/health' }, '/health'],
  [{ demo: true }, '/health/ready'],
  [{ demo: true, readyPath: '/ping' }, '/ping'],
  [{ start: { readyPath: '/started' } }, '/started'],
  [{ start: { readyPath: '/started' }, readyPath: '/env' }, '/env'],
])('resolveReadyPath(%o) = %s', (env, path) => {
  expect(resolveReadyPath({ demo: false, ...env } as Parameters<typeof resolveReadyPath>[0])).toBe(path);
});

test.each([
  ['http://127.0.0.1:8080', true],
  ['http://localhost:3000/api', true],
  ['http://[::1]:3000', true],
  ['https://127.0.0.1:8443', true],
  ['http://10.0.0.5:8080', false],
  ['https://api.example.com', false],
])('canFrontOutsideTarget(%s) = %s', (url, expected) => {
  expect(canFrontOutsideTarget(url)).toBe(expected);
});
