import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { repoPath, requireTool } from '../core/tools.ts';
import { type MotoServer, startMotoServer } from '../telemetry/aws/start-moto-server.ts';

// `canary watch` in an aws environment with `watch.snsSeverity`: the failure and the recovery reach
// the severity's topic as `opsproof infra` names it (moto; the account from STS, as no accountId is set).
const moto = requireTool('moto_server');
const STATUSES = [200, 503, 503, 200];

describe.skipIf(moto.skip)('canary watch alerts to the severity topic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-canary-watch-sns-'));
  let server: MotoServer;
  let target: Server;
  let requests = 0;
  let queueUrl: string | undefined;
  let sqs: SQSClient;

  beforeAll(async () => {
    server = await startMotoServer(moto.path ?? 'moto_server');
    const config = {
      region: 'eu-west-1',
      endpoint: server.endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    };
    const sns = new SNSClient(config);
    sqs = new SQSClient(config);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'watched-staging-critical' }));
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'pager' }));
    queueUrl = queue.QueueUrl;
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }));
    target = createServer((req, res) => {
      req.resume();
      res.statusCode = STATUSES[requests] ?? 200;
      requests++;
      res.end();
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
    writeFileSync(
      join(dir, 'opsproof.config.json'),
      JSON.stringify({
        service: 'watched',
        environments: {
          staging: {
            target: targetUrl,
            provider: 'aws',
            region: 'eu-west-1',
            watch: { snsSeverity: 'critical' },
          },
        },
        canaries: { files: ['ping.canary.ts'] },
      }),
    );
    writeFileSync(
      join(dir, 'ping.canary.ts'),
      `import { defineCanary } from 'opsproof';
export default defineCanary({ name: 'ping', type: 'api', retries: 0 }, async ({ http, step, baseUrl }) => {
  await step('root', async () => {
    const res = await http.get(baseUrl + '/');
    if (res.status !== 200) throw new Error('root returned ' + res.status);
  });
});
`,
    );
  }, 60_000);

  afterAll(async () => {
    target?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('two failed runs publish ALARM and the pass publishes OK to watched-staging-critical', async () => {
    let stderr = '';
    const code = await new Promise<number | null>((done, reject) => {
      const child = spawn(
        process.execPath,
        [
          repoPath('bin', 'opsproof.js'),
          'canary',
          'watch',
          '--env',
          'staging',
          '--every',
          '1s',
          '--runs',
          String(STATUSES.length),
        ],
        {
          cwd: dir,
          env: {
            ...process.env,
            CI: 'true',
            AWS_ENDPOINT_URL: server.endpoint,
            AWS_ACCESS_KEY_ID: 'testing',
            AWS_SECRET_ACCESS_KEY: 'testing',
            AWS_REGION: 'eu-west-1',
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      child.stderr?.on('data', (chunk) => {
        stderr += chunk;
      });
      const guard = setTimeout(() => child.kill('SIGKILL'), 50_000);
      child.on('error', reject);
      child.on('close', (exit) => {
        clearTimeout(guard);
        done(exit);
      });
    });
    expect(stderr).not.toMatch(/alert not delivered/);
    expect(code).toBe(0);
    expect(requests).toBe(STATUSES.length);
    const messages: { Subject: string; Message: string }[] = [];
    for (let i = 0; i < 5 && messages.length < 2; i++) {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      for (const m of Messages ?? []) messages.push(JSON.parse(m.Body ?? '{}'));
    }
    expect(messages.map((m) => JSON.parse(m.Message).NewStateValue)).toEqual(['ALARM', 'OK']);
    expect(messages[0]?.Subject).toMatch(
      /^canary ping \(staging\) is failing: 2 runs in a row - step "root" failed/,
    );
    expect(JSON.parse(messages[0]?.Message ?? '{}')).toMatchObject({ AlarmName: 'canary:ping' });
  }, 90_000);
});

test('snsSeverity outside the aws provider is a usage error before any canary runs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-canary-watch-sns-usage-'));
  let requests = 0;
  const target = createServer((req, res) => {
    req.resume();
    requests++;
    res.end();
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  try {
    writeFileSync(
      join(dir, 'opsproof.config.json'),
      JSON.stringify({
        service: 'watched',
        environments: {
          local: {
            target: `http://127.0.0.1:${(target.address() as AddressInfo).port}`,
            watch: { snsSeverity: 'critical' },
          },
        },
        canaries: { files: ['ping.canary.ts'] },
      }),
    );
    writeFileSync(
      join(dir, 'ping.canary.ts'),
      `import { defineCanary } from 'opsproof';
export default defineCanary({ name: 'ping', type: 'api' }, async ({ http, step, baseUrl }) => {
  await step('root', async () => { await http.get(baseUrl + '/'); });
});
`,
    );
    let stderr = '';
    const code = await new Promise<number | null>((done, reject) => {
      const child = spawn(
        process.execPath,
        [repoPath('bin', 'opsproof.js'), 'canary', 'watch', '--runs', '1'],
        {
          cwd: dir,
          env: { ...process.env, CI: 'true' },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      child.stderr?.on('data', (chunk) => {
        stderr += chunk;
      });
      const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('close', (exit) => {
        clearTimeout(guard);
        done(exit);
      });
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/environments\.local\.watch\.snsSeverity needs the aws provider/);
    expect(requests).toBe(0);
  } finally {
    target.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 40_000);
