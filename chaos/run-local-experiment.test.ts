import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { InterruptedError } from '../core/errors.ts';
import { type ExperimentInput, experimentSchema } from '../core/schema.ts';
import { Timeline } from '../core/timeline.ts';
import type { Telemetry } from '../telemetry/port.ts';
import type { AlarmStateValue } from '../telemetry/types.ts';
import { createControlApiController, createInProcessController } from './fault-controller.ts';
import { type FaultGateway, startFaultGateway } from './fault-gateway.ts';
import type { ProcessFaults } from './process-faults.ts';
import { formatUnmatchedFault, runLocalExperiment } from './run-local-experiment.ts';

let upstream: http.Server;
let gateway: FaultGateway;
beforeAll(async () => {
  upstream = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  gateway = await startFaultGateway({
    upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
  });
});
afterAll(async () => {
  await gateway.close();
  await new Promise((r) => upstream.close(r));
});

const fn = { resourceType: 'aws:lambda:function', resourceTags: { service: 'demo' }, selectionMode: 'ALL' };
const errors = (duration: string, extra: Partial<ExperimentInput> = {}) =>
  experimentSchema.parse({
    targets: { Functions: fn },
    actions: {
      errors: {
        actionId: 'aws:lambda:invocation-error',
        parameters: { duration, invocationPercentage: '100', preventExecution: 'true' },
        targets: { Functions: 'Functions' },
      },
    },
    ...extra,
  });

function telemetryWith(state: () => AlarmStateValue | undefined): Telemetry {
  return { provider: 'embedded', getAlarmState: async () => state() } as unknown as Telemetry;
}
const quiet = telemetryWith(() => 'OK');

test('injects the fault for its duration, then clears it; journal and timeline record it', async () => {
  const timeline = new Timeline();
  const seen: number[] = [];
  timeline.on(async (r) => {
    if (r.type === 'fault.start') seen.push((await fetch(`${gateway.url}/api/x`)).status);
  });
  const journal = await runLocalExperiment('api-errors', errors('PT0.5S'), {
    faults: createInProcessController(gateway),
    telemetry: quiet,
    timeline,
    signal: new AbortController().signal,
  });
  expect(journal).toMatchObject({
    experiment: 'api-errors',
    engine: 'local',
    status: 'completed',
    dryRun: false,
  });
  expect(journal.activities).toMatchObject([
    {
      name: 'errors',
      status: 'succeeded',
      // The default local path covers the whole target.
      output: expect.stringContaining('error:status=500,percent=100,path=/*'),
      matchedRequests: 1,
      injectedRequests: 1,
      seenRequests: 1,
      seenPaths: ['/api/x'],
    },
  ]);
  expect(seen).toEqual([500]);
  expect(gateway.faults()).toEqual([]);
  expect(timeline.records().map((r) => r.type)).toEqual([
    'experiment.start',
    'action.start',
    'fault.start',
    'fault.end',
    'action.end',
    'experiment.end',
  ]);
  expect((await fetch(`${gateway.url}/api/x`)).status).toBe(200);
});

test('an interrupt clears the fault at once and the journal says interrupted', async () => {
  const timeline = new Timeline();
  const interrupt = new AbortController();
  timeline.on((r) => {
    if (r.type === 'fault.start') setTimeout(() => interrupt.abort(new InterruptedError('SIGINT')), 100);
  });
  const journal = await runLocalExperiment('api-errors', errors('PT30S'), {
    faults: createControlApiController(gateway.controlUrl),
    telemetry: quiet,
    timeline,
    signal: interrupt.signal,
  });
  expect(journal.status).toBe('interrupted');
  // Cut short: stopped, not judged on what it matched (nothing, here), but the counts are kept.
  expect(journal.activities[0]).toMatchObject({ status: 'stopped', matchedRequests: 0, seenRequests: 0 });
  expect(gateway.faults()).toEqual([]);
  expect(timeline.find('fault.end')?.reason).toBe('interrupted');
});

test('a stop condition in ALARM aborts the experiment and clears the fault', async () => {
  let state: AlarmStateValue = 'OK';
  const timeline = new Timeline();
  timeline.on((r) => {
    if (r.type === 'fault.start') setTimeout(() => (state = 'ALARM'), 100);
  });
  const journal = await runLocalExperiment(
    'api-errors',
    errors('PT30S', { stopConditions: [{ source: 'aws:cloudwatch:alarm', value: 'CanaryFailing' }] }),
    {
      faults: createInProcessController(gateway),
      telemetry: telemetryWith(() => state),
      timeline,
      signal: new AbortController().signal,
      stopPollMs: 50,
    },
  );
  expect(journal).toMatchObject({ status: 'aborted', stoppedBy: 'CanaryFailing' });
  expect(gateway.faults()).toEqual([]);
  expect(timeline.find('fault.end')?.reason).toBe('stopped');
});

test('a stop condition already in ALARM keeps the experiment from starting', async () => {
  const journal = await runLocalExperiment(
    'api-errors',
    errors('PT30S', { stopConditions: [{ source: 'aws:cloudwatch:alarm', value: 'CanaryFailing' }] }),
    {
      faults: createInProcessController(gateway),
      telemetry: telemetryWith(() => 'ALARM'),
      timeline: new Timeline(),
      signal: new AbortController().signal,
    },
  );
  expect(journal).toMatchObject({ status: 'failed', activities: [] });
  expect(journal.error).toMatch(/CanaryFailing is in ALARM before/);
});

test('dry run injects nothing and says what it would do', async () => {
  const journal = await runLocalExperiment('api-errors', errors('PT30S'), {
    faults: createInProcessController(gateway),
    telemetry: quiet,
    timeline: new Timeline(),
    signal: new AbortController().signal,
    dryRun: true,
  });
  expect(journal).toMatchObject({ status: 'completed', dryRun: true });
  expect(journal.activities[0]).toMatchObject({
    status: 'skipped',
    output: expect.stringContaining(`error:status=500,percent=100,path=/* on ${gateway.url} for 30s`),
  });
  expect(gateway.faults()).toEqual([]);
});

test('stop-task kills the target and starts it again through the port; startAfter orders actions; assert-alarm-state reads telemetry', async () => {
  const calls: string[] = [];
  const processes: ProcessFaults = {
    targets: () => [''],
    kill: async (t) => {
      calls.push(`kill ${t}`);
      return { pid: 42, code: null, signal: 'SIGKILL' };
    },
    stop: async () => ({ pid: 42, code: null, signal: 'SIGTERM' }),
    pause: async () => ({ pid: 42 }),
    start: async (t) => {
      calls.push(`start ${t}`);
      return true;
    },
    resume: async () => true,
  };
  const experiment = experimentSchema.parse({
    targets: { Tasks: { resourceType: 'aws:ecs:task', resourceTags: { s: 'x' }, selectionMode: 'COUNT(1)' } },
    actions: {
      check: {
        actionId: 'aws:cloudwatch:assert-alarm-state',
        parameters: {
          alarmArns: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:HighErrorRate',
          alarmStates: 'ALARM',
        },
        startAfter: ['stop'],
      },
      stop: { actionId: 'aws:ecs:stop-task', targets: { Tasks: 'Tasks' } },
    },
  });
  const timeline = new Timeline();
  const journal = await runLocalExperiment('process-kill', experiment, {
    processes,
    telemetry: quiet,
    timeline,
    signal: new AbortController().signal,
  });
  expect(calls).toEqual(['kill ', 'start ']);
  expect(journal.activities.map((a) => [a.name, a.status])).toEqual([
    ['stop', 'succeeded'],
    ['check', 'failed'],
  ]);
  expect(journal.activities[0]).toMatchObject({
    process: { target: '', op: 'kill', pid: 42, exit: 'SIGKILL', recoveryMs: expect.any(Number) },
    output: expect.stringMatching(
      /^killed the default target \(pid 42\) with SIGKILL at .*; started again at .*; ready at/,
    ),
  });
  expect(journal.activities[1]?.error).toBe('expected ALARM, got HighErrorRate=OK');
  expect(journal.status).toBe('failed');
  // One fault.start / fault.end pair for the process fault, from the engine.
  expect(timeline.ofType('fault.start')).toMatchObject([
    { faultId: 'process-kill:stop', spec: 'process:kill', where: 'target the default target' },
  ]);
  expect(timeline.ofType('fault.end')).toMatchObject([{ faultId: 'process-kill:stop', reason: 'completed' }]);
});

test('a process fault on a target opsproof did not start fails its action by name', async () => {
  const experiment = experimentSchema.parse({
    targets: { Tasks: { resourceType: 'aws:ecs:task', resourceTags: { s: 'x' }, selectionMode: 'ALL' } },
    actions: { stop: { actionId: 'aws:ecs:stop-task', targets: { Tasks: 'Tasks' } } },
  });
  const journal = await runLocalExperiment('process-kill', experiment, {
    telemetry: quiet,
    timeline: new Timeline(),
    signal: new AbortController().signal,
  });
  expect(journal.status).toBe('failed');
  expect(journal.activities[0]?.error).toBe(
    'the default target was not started by opsproof, so it has no process to kill',
  );
});

test.each([
  ['the in-process gateway', () => createInProcessController(gateway)],
  ['the control API', () => createControlApiController(gateway.controlUrl)],
])(
  'a fault that matches no request fails its activity and the experiment, naming its path and what was seen (%s)',
  async (_, controller) => {
    const timeline = new Timeline();
    const traffic: Promise<unknown>[] = [];
    timeline.on((r) => {
      if (r.type === 'fault.start')
        for (const path of ['/', '/items', '/health', '/items?page=2'])
          traffic.push(fetch(gateway.url + path).then((res) => res.text()));
    });
    const journal = await runLocalExperiment('api-errors', errors('PT0.5S', { localPath: '/api/*' }), {
      faults: controller(),
      telemetry: quiet,
      timeline,
      signal: new AbortController().signal,
    });
    await Promise.all(traffic);
    expect(journal.status).toBe('failed');
    expect(journal.activities).toMatchObject([
      { name: 'errors', status: 'failed', matchedRequests: 0, injectedRequests: 0, seenRequests: 4 },
    ]);
    expect(journal.activities[0]?.error).toBe(
      'fault error:status=500,percent=100,path=/api/* matched no request; seen: /, /items, /health (4 requests)',
    );
    expect(journal.error).toBe(`action errors failed: ${journal.activities[0]?.error}`);
    expect(gateway.faults()).toEqual([]);
  },
);

test.each([
  [
    { spec: 'error:status=503,percent=100,path=/api/*', path: '/api/*', seenRequests: 0, seenPaths: [] },
    "fault error:status=503,percent=100,path=/api/* matched no request; the gateway saw no request while it was on: nothing sent traffic through it (in a gate or drill, the experiment's `load` profile does)",
  ],
  [
    { spec: 'reset:percent=100,method=POST', path: undefined, seenRequests: 1, seenPaths: ['/'] },
    'fault reset:percent=100,method=POST (every path) matched no request; seen: / (1 request)',
  ],
  [
    { spec: 'blackhole:percent=100,path=/x', path: '/x', seenRequests: 90, seenPaths: ['/a', '/b'] },
    'fault blackhole:percent=100,path=/x matched no request; seen: /a, /b, … (90 requests)',
  ],
])('formatUnmatchedFault(%o)', ({ spec, path, seenRequests, seenPaths }, message) => {
  const fault = { kind: 'reset', percent: 100, ...(path === undefined ? {} : { path }) } as const;
  expect(formatUnmatchedFault({ spec, fault, seenRequests, seenPaths }, 2)).toBe(message);
});

test('a command stand-in runs through the engine: run, hold for the duration, undo; the journal has both commands', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-stand-in-'));
  try {
    const node = (code: string) => [process.execPath, '-e', code];
    const experiment = experimentSchema.parse({
      targets: {},
      actions: {
        impair: {
          actionId: 'aws:ssm:start-automation-execution',
          parameters: {
            documentArn: 'arn:aws:ssm:eu-west-1:123456789012:document/Impair',
            maxDuration: 'PT1S',
          },
          local: {
            run: node(`require('node:fs').writeFileSync('impaired', 'on'); console.log('impaired')`),
            undo: node(`require('node:fs').rmSync('impaired')`),
          },
        },
      },
    });
    const timeline = new Timeline();
    const journal = await runLocalExperiment('impair', experiment, {
      telemetry: quiet,
      timeline,
      signal: new AbortController().signal,
      commandCwd: dir,
    });
    expect(journal.status, journal.error).toBe('completed');
    expect(journal.activities[0]).toMatchObject({
      status: 'succeeded',
      commands: [
        { role: 'run', exitCode: 0, stdoutTail: 'impaired\n' },
        { role: 'undo', exitCode: 0 },
      ],
    });
    expect(journal.activities[0]!.durationMs).toBeGreaterThanOrEqual(990);
    // Run in the config's folder, and undone.
    expect(existsSync(join(dir, 'impaired'))).toBe(false);
    expect(timeline.ofType('fault.start')).toMatchObject([
      { faultId: 'impair:impair', spec: expect.stringMatching(/^command:.* -e /), where: 'local command' },
    ]);
    expect(timeline.ofType('fault.end')).toMatchObject([{ faultId: 'impair:impair', reason: 'completed' }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
