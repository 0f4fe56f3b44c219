import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requireTool } from '../core/tools.ts';
import { type MotoServer, startMotoServer } from '../telemetry/aws/start-moto-server.ts';
import { type SubscribedQueue, subscribeQueueToTopic } from '../test-support/moto-sns.ts';
import { writePingProject } from '../test-support/ping-canary.ts';
import { runOpsproof } from '../test-support/run-opsproof.ts';
import { startServer, type TestServer } from '../test-support/test-servers.ts';

// `canary watch` in an aws environment with `watch.snsSeverity`: the failure and the recovery reach
// the severity's topic as `opsproof infra` names it (moto; the account from STS, as no accountId is set).
const moto = requireTool('moto_server');
const STATUSES = [200, 503, 503, 200];

describe.skipIf(moto.skip)('canary watch alerts to the severity topic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-canary-watch-sns-'));
  let server: MotoServer;
  let target: TestServer;
  let requests = 0;
  let pager: SubscribedQueue;

  beforeAll(async () => {
    server = await startMotoServer(moto.path ?? 'moto_server');
    pager = await subscribeQueueToTopic(server.endpoint, {
      topic: 'watched-staging-critical',
      queue: 'pager',
    });
    target = await startServer((req, res) => {
      req.resume();
      res.statusCode = STATUSES[requests] ?? 200;
      requests++;
      res.end();
    });
    writePingProject(
      dir,
      {
        service: 'watched',
        environments: {
          staging: {
            target: target.url,
            provider: 'aws',
            region: 'eu-west-1',
            watch: { snsSeverity: 'critical' },
          },
        },
        canaries: { files: ['ping.canary.ts'] },
      },
      { retries: 0 },
    );
  }, 60_000);

  afterAll(async () => {
    await target?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('two failed runs publish ALARM and the pass publishes OK to watched-staging-critical', async () => {
    const { code, stderr } = await runOpsproof(
      ['canary', 'watch', '--env', 'staging', '--every', '1s', '--runs', String(STATUSES.length)],
      {
        cwd: dir,
        timeoutMs: 50_000,
        env: {
          AWS_ENDPOINT_URL: server.endpoint,
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
          AWS_REGION: 'eu-west-1',
        },
      },
    );
    expect(stderr).not.toMatch(/alert not delivered/);
    expect(code).toBe(0);
    expect(requests).toBe(STATUSES.length);
    const messages: { Subject: string; Message: string }[] = [];
    for (let i = 0; i < 5 && messages.length < 2; i++) {
      const { Messages } = await pager.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: pager.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
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
  const target = await startServer((req, res) => {
    req.resume();
    requests++;
    res.end();
  });
  try {
    writePingProject(dir, {
      service: 'watched',
      environments: {
        local: {
          target: target.url,
          watch: { snsSeverity: 'critical' },
        },
      },
      canaries: { files: ['ping.canary.ts'] },
    });
    const { code, stderr } = await runOpsproof(['canary', 'watch', '--runs', '1'], {
      cwd: dir,
      timeoutMs: 30_000,
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/environments\.local\.watch\.snsSeverity needs the aws provider/);
    expect(requests).toBe(0);
  } finally {
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 40_000);
