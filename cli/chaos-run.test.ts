import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { startFaultGateway } from '../chaos/fault-gateway.ts';
import { requireTool } from '../core/tools.ts';

const bin = fileURLToPath(new URL('../bin/opsproof.js', import.meta.url));

const watched = {
  alarms: [
    {
      AlarmName: 'HighErrorRate',
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Dimensions: [{ Name: 'ApiName', Value: 'chaos-test' }],
      Statistic: 'Average',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0.05,
      ComparisonOperator: 'GreaterThanThreshold',
    },
  ],
  load: {
    profiles: {
      background: { rate: 20, duration: '60s', requests: [{ method: 'GET', path: '/api/x' }] },
    },
  },
};

test.each([
  { with: 'a bare experiment', suite: {}, experiment: {} },
  {
    // Background load and an expectation still being watched when Ctrl-C arrives.
    with: 'background load and a watched expectation',
    suite: watched,
    experiment: {
      load: 'background',
      expect: [{ kind: 'alarm-fires', alarm: 'HighErrorRate', within: '60s', after: 'fault.start' }],
    },
  },
])(
  'Ctrl-C during `opsproof chaos run` ($with) clears every fault and exits 130',
  async ({ suite, experiment }) => {
    const upstream = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const gateway = await startFaultGateway({ upstream: upstreamUrl });
    const dir = mkdtempSync(join(tmpdir(), 'opsproof-chaos-'));
    writeFileSync(
      join(dir, 'opsproof.config.json'),
      JSON.stringify({
        service: 'chaos-test',
        environments: { local: { target: gateway.url } },
        ...suite,
        experiments: {
          errors: {
            ...experiment,
            targets: {
              Functions: {
                resourceType: 'aws:lambda:function',
                resourceTags: { s: 'x' },
                selectionMode: 'ALL',
              },
            },
            actions: {
              errors: {
                actionId: 'aws:lambda:invocation-error',
                parameters: { duration: 'PT60S', invocationPercentage: '100', preventExecution: 'true' },
                targets: { Functions: 'Functions' },
              },
            },
          },
        },
      }),
    );
    try {
      const child = spawn(
        process.execPath,
        [
          bin,
          'chaos',
          'run',
          'errors',
          '--config',
          join(dir, 'opsproof.config.json'),
          '--out',
          join(dir, 'run'),
          '--gateway-control',
          gateway.controlUrl,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      // Wait until the fault is on (bounded), then Ctrl-C.
      for (let i = 0; i < 200 && gateway.faults().length === 0; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(gateway.faults()).toHaveLength(1);
      expect((await fetch(`${gateway.url}/api/x`)).status).toBe(500);
      child.kill('SIGINT');
      const code = await exited;
      expect(code, stderr).toBe(130);
      const listed = (await (await fetch(`${gateway.controlUrl}/faults`)).json()) as { faults: unknown[] };
      expect(listed.faults).toEqual([]);
      expect((await fetch(`${gateway.url}/api/x`)).status).toBe(200);
      const result = JSON.parse(readFileSync(join(dir, 'run', 'result.json'), 'utf8')) as {
        status: string;
        experiments: { status: string; activities: { status: string }[] }[];
      };
      expect(result.status).toBe('interrupted');
      expect(result.experiments[0]).toMatchObject({
        status: 'interrupted',
        activities: [{ status: 'stopped' }],
      });
    } finally {
      await gateway.close();
      await new Promise((r) => upstream.close(r));
    }
  },
);

const moto = requireTool('moto_server');

test.skipIf(moto.skip)(
  '`opsproof chaos run` on an aws environment drives FIS (moto) and stops the experiment on SIGINT',
  async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const endpoint = `http://127.0.0.1:${port}`;
    const server = spawn(moto.path!, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    const dir = mkdtempSync(join(tmpdir(), 'opsproof-fis-'));
    try {
      for (let i = 0; i < 100; i++) {
        const up = await fetch(`${endpoint}/moto-api/`).then(
          (r) => r.ok,
          () => false,
        );
        if (up) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      writeFileSync(
        join(dir, 'opsproof.config.json'),
        JSON.stringify({
          service: 'fis-test',
          alarms: [
            {
              AlarmName: 'HighErrorRate',
              Namespace: 'AWS/ApiGateway',
              MetricName: '5XXError',
              Statistic: 'Average',
              Period: 60,
              EvaluationPeriods: 1,
              Threshold: 0.05,
              ComparisonOperator: 'GreaterThanThreshold',
            },
          ],
          environments: {
            staging: {
              target: 'https://api.example.com',
              provider: 'aws',
              region: 'eu-west-1',
              aws: { accountId: '123456789012' },
            },
          },
          experiments: {
            delay: {
              targets: {
                Functions: {
                  resourceType: 'aws:lambda:function',
                  resourceArns: ['arn:aws:lambda:eu-west-1:123456789012:function:api'],
                  selectionMode: 'ALL',
                },
              },
              actions: {
                delay: {
                  actionId: 'aws:lambda:invocation-add-delay',
                  parameters: { duration: 'PT5M', startupDelayMilliseconds: '1500' },
                  targets: { Functions: 'Functions' },
                },
              },
              stopConditions: [{ source: 'aws:cloudwatch:alarm', value: 'HighErrorRate' }],
            },
          },
        }),
      );
      const child = spawn(
        process.execPath,
        [
          bin,
          'chaos',
          'run',
          'delay',
          '--env',
          'staging',
          '--config',
          join(dir, 'opsproof.config.json'),
          '--out',
          join(dir, 'run'),
        ],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
          env: {
            ...process.env,
            AWS_ENDPOINT_URL: endpoint,
            AWS_ACCESS_KEY_ID: 'testing',
            AWS_SECRET_ACCESS_KEY: 'testing',
            AWS_REGION: 'eu-west-1',
          },
        },
      );
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      const auth = {
        authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/eu-west-1/fis/aws4_request',
      };
      type Listed = { experiments: { id: string; state: { status: string } }[] };
      let listed: Listed = { experiments: [] };
      for (let i = 0; i < 300; i++) {
        listed = (await (await fetch(`${endpoint}/experiments`, { headers: auth })).json()) as Listed;
        if (listed.experiments[0]?.state.status === 'running') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(listed.experiments[0]?.state.status, stderr).toBe('running');
      const templates = (await (
        await fetch(`${endpoint}/experimentTemplates`, { headers: auth })
      ).json()) as {
        experimentTemplates: { tags: Record<string, string> }[];
      };
      expect(templates.experimentTemplates[0]?.tags).toMatchObject({ 'opsproof:experiment': 'delay' });
      child.kill('SIGINT');
      expect(await exited, stderr).toBe(130);
      const after = (await (await fetch(`${endpoint}/experiments`, { headers: auth })).json()) as Listed;
      expect(after.experiments[0]?.state.status).toBe('stopped');
      const result = JSON.parse(readFileSync(join(dir, 'run', 'result.json'), 'utf8')) as {
        experiments: { engine: string; status: string; fisExperimentId: string }[];
      };
      expect(result.experiments[0]).toMatchObject({
        engine: 'fis',
        status: 'interrupted',
        fisExperimentId: listed.experiments[0]?.id,
      });
    } finally {
      server.kill('SIGKILL');
    }
  },
);

test.skipIf(moto.skip)(
  '`opsproof chaos run TEMPLATE.json --dry-run` on an aws environment previews it (skip-all) and prints the resolved targets',
  async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const endpoint = `http://127.0.0.1:${port}`;
    const server = spawn(moto.path!, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    const dir = mkdtempSync(join(tmpdir(), 'opsproof-fis-dry-'));
    try {
      for (let i = 0; i < 100; i++) {
        const up = await fetch(`${endpoint}/moto-api/`).then(
          (r) => r.ok,
          () => false,
        );
        if (up) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      writeFileSync(
        join(dir, 'opsproof.config.json'),
        JSON.stringify({
          service: 'fis-test',
          environments: {
            staging: {
              target: 'https://api.example.com',
              provider: 'aws',
              region: 'eu-west-1',
              aws: { accountId: '123456789012' },
            },
          },
        }),
      );
      const template = fileURLToPath(new URL('../chaos/fixtures/fis-templates/lambda.json', import.meta.url));
      const child = spawn(
        process.execPath,
        [
          bin,
          'chaos',
          'run',
          template,
          '--env',
          'staging',
          '--dry-run',
          '--config',
          join(dir, 'opsproof.config.json'),
          '--out',
          join(dir, 'run'),
        ],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
          env: {
            ...process.env,
            AWS_ENDPOINT_URL: endpoint,
            AWS_ACCESS_KEY_ID: 'testing',
            AWS_SECRET_ACCESS_KEY: 'testing',
            AWS_REGION: 'eu-west-1',
            CI: 'true',
          },
        },
      );
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      expect(code, stderr).toBe(0);
      const fn = 'arn:aws:lambda:eu-west-1:123456789012:function:orders-api';
      expect(stderr).toContain(`dry run of lambda: target fn (aws:lambda:function) → ${fn}`);
      const result = JSON.parse(readFileSync(join(dir, 'run', 'result.json'), 'utf8')) as {
        experiments: { engine: string; dryRun: boolean; resolvedTargets: unknown[] }[];
      };
      expect(result.experiments[0]).toMatchObject({
        engine: 'fis',
        dryRun: true,
        resolvedTargets: [
          { targetName: 'fn', resourceType: 'aws:lambda:function', targetInformation: { arn: fn } },
        ],
      });
    } finally {
      server.kill('SIGKILL');
    }
  },
);
