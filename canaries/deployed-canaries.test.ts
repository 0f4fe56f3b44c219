import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import {
  CreateCanaryCommand,
  DescribeCanariesCommand,
  GetCanaryRunsCommand,
  StartCanaryCommand,
  StopCanaryCommand,
  SyntheticsClient,
} from '@aws-sdk/client-synthetics';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createManualClock } from '../core/clock.ts';
import type { LoadedSuite, ResolvedEnvironment } from '../core/load-config.ts';
import { environmentSchema, suiteSchema } from '../core/schema.ts';
import { requireTool } from '../core/tools.ts';
import { checkDeployedCanaries, fetchDeployedCanaries, runRemoteCanaries } from './deployed-canaries.ts';

const moto = requireTool('moto_server');
const env: ResolvedEnvironment = {
  ...environmentSchema.parse({
    target: 'https://api.example.com',
    provider: 'aws',
    region: 'eu-west-1',
    aws: { canaryPrefix: 'demo-' },
  }),
  name: 'staging',
};
const loaded: LoadedSuite = {
  suite: suiteSchema.parse({
    service: 't',
    environments: { staging: { target: 'https://api.example.com' } },
  }),
  file: '/x/opsproof.config.ts',
  dir: '/x',
  warnings: [],
};
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

// client-synthetics 3.669 pins an older @smithy/types than aws-sdk-client-mock: bridge the types here.
type Mock = ReturnType<typeof mockClient>;
type MockCommand = Parameters<Mock['on']>[0];
const on = (mock: Mock, command: unknown, input?: object) => mock.on(command as MockCommand, input as never);
const runsOutput = (runs: object[]) => ({ CanaryRuns: runs }) as never;
const calls = (mock: Mock, command: unknown) => mock.commandCalls(command as MockCommand);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

// GetCanaryRuns shape from the Synthetics API reference (CanaryRun: Id, Name, Status{State,
// StateReason, StateReasonCode}, Timeline{Started, Completed}, ArtifactS3Location).
function run(id: string, state: 'PASSED' | 'FAILED' | 'RUNNING', started: string, reason?: string) {
  return {
    Id: id,
    Name: 'demo-api-roundtrip',
    Status: {
      State: state,
      ...(reason ? { StateReason: reason, StateReasonCode: 'CANARY_FAILURE' as const } : {}),
    },
    Timeline: {
      Started: new Date(started),
      ...(state === 'RUNNING' ? {} : { Completed: new Date(Date.parse(started) + 9000) }),
    },
    ArtifactS3Location: 's3://bucket/canary/demo-api-roundtrip',
  };
}

describe.skipIf(moto.skip)('deployed canaries: DescribeCanaries on moto, run APIs mocked', () => {
  let server: ChildProcess;
  let real: SyntheticsClient;
  let client: SyntheticsClient;
  let mock: ReturnType<typeof mockClient>;

  beforeAll(async () => {
    const port = await freePort();
    server = spawn(moto.path ?? '', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    const endpoint = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      if (
        await fetch(`${endpoint}/moto-api/`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    real = new SyntheticsClient({ region: 'eu-west-1', endpoint, credentials });
    for (const name of ['demo-api-roundtrip', 'demo-health', 'other-canary']) {
      await real.send(
        new CreateCanaryCommand({
          Name: name,
          Code: { Handler: 'index.handler', S3Bucket: 'b', S3Key: `${name}.zip` },
          ArtifactS3Location: 's3://bucket/canary',
          ExecutionRoleArn: 'arn:aws:iam::123456789012:role/canary',
          Schedule: { Expression: 'rate(5 minutes)' },
          RuntimeVersion: 'syn-nodejs-playwright-6.0',
        }),
      );
    }
    client = new SyntheticsClient({ region: 'eu-west-1', endpoint, credentials });
    mock = mockClient(client as unknown as Parameters<typeof mockClient>[0]);
    // DescribeCanaries goes to the real moto server; moto has no run APIs, those are mocked.
    on(mock, DescribeCanariesCommand).callsFake((input) => real.send(new DescribeCanariesCommand(input)));
  }, 30_000);

  afterAll(() => {
    mock?.restore();
    server?.kill();
  });

  test('status lists the environment’s canaries with schedule, state and last runs', async () => {
    on(mock, GetCanaryRunsCommand).resolves(
      runsOutput([
        run('r1', 'PASSED', '2026-01-01T10:00:00Z'),
        run('r2', 'FAILED', '2026-01-01T10:05:00Z', 'step "read it back" failed: GET returned 500'),
      ]),
    );
    const deployed = await fetchDeployedCanaries(env, { client });
    expect(deployed.map((c) => [c.name, c.localName, c.schedule, c.state])).toEqual([
      ['demo-api-roundtrip', 'api-roundtrip', 'rate(5 minutes)', 'READY'],
      ['demo-health', 'health', 'rate(5 minutes)', 'READY'],
    ]);
    expect(deployed[0]?.runs.map((r) => [r.id, r.status, r.reason])).toEqual([
      ['r2', 'failed', 'step "read it back" failed: GET returned 500'],
      ['r1', 'passed', undefined],
    ]);
  });

  test('preflight fails when a deployed canary’s latest run failed, passes when it recovered', async () => {
    on(mock, GetCanaryRunsCommand, { Name: 'demo-api-roundtrip' }).resolves(
      runsOutput([
        run('r2', 'FAILED', '2026-01-01T10:05:00Z', 'timeout'),
        run('r1', 'PASSED', '2026-01-01T10:00:00Z'),
      ]),
    );
    on(mock, GetCanaryRunsCommand, { Name: 'demo-health' }).resolves(
      runsOutput([
        run('h2', 'PASSED', '2026-01-01T10:05:00Z'),
        run('h1', 'FAILED', '2026-01-01T10:00:00Z', 'x'),
      ]),
    );
    const checks = await checkDeployedCanaries(env, { client });
    expect(checks.map((c) => [c.id, c.status])).toEqual([
      ['preflight:canary:api-roundtrip', 'failed'],
      ['preflight:canary:health', 'passed'],
    ]);
    expect(checks[0]?.message).toMatch(/demo-api-roundtrip is failing: .* failed: timeout/);
    expect(await checkDeployedCanaries({ ...env, provider: 'embedded' }, { client })).toEqual([]);
  });

  test('--remote starts the canary, waits for its run, and stops it again', async () => {
    const clock = createManualClock(new Date('2026-01-01T12:00:00Z'));
    let polls = 0;
    on(mock, StartCanaryCommand).resolves({} as never);
    on(mock, StopCanaryCommand).resolves({} as never);
    on(mock, GetCanaryRunsCommand).callsFake(async () => {
      polls += 1;
      const runs = [run('old', 'PASSED', '2026-01-01T11:55:00Z')];
      if (polls === 2) runs.unshift(run('new', 'RUNNING', '2026-01-01T12:00:01Z'));
      if (polls >= 3) runs.unshift(run('new', 'FAILED', '2026-01-01T12:00:01Z', 'step "save" failed'));
      return { CanaryRuns: runs };
    });
    const waiting = runRemoteCanaries({ loaded, env, names: ['api-roundtrip'], client, clock, pollMs: 1000 });
    // The first calls go over the network to moto: give them real time, then move the manual clock.
    for (let i = 0; i < 200 && polls < 3; i++) {
      await new Promise((r) => setTimeout(r, 10));
      await clock.advance(1000);
    }
    const results = await waiting;
    expect(results).toEqual([
      expect.objectContaining({
        canaryName: 'demo-api-roundtrip',
        status: 'failed',
        runId: 'new',
        reason: 'step "save" failed',
      }),
    ]);
    expect(calls(mock, StartCanaryCommand)[0]?.args[0].input).toEqual({ Name: 'demo-api-roundtrip' });
    expect(calls(mock, StopCanaryCommand)).toHaveLength(1);
  });
});
