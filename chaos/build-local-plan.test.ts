import { describe, expect, test } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { type ExperimentInput, experimentSchema } from '../core/schema.ts';
import { buildLocalPlan, formatLocalPlan, planLocalExperiment } from './build-local-plan.ts';
import { type FisParameter, findFisAction } from './fis-catalog.ts';

type ActionInput = ExperimentInput['actions'][string];
/** What a case expects of a step (matched as a subset). */
type Expected = { durationMs?: number; effect?: Record<string, unknown>; targetPath?: string };

/** A valid value for a required parameter the case does not give. */
function filler(p: FisParameter): string {
  switch (p.kind) {
    case 'duration':
      return 'PT1M';
    case 'percent':
      return '100';
    case 'integer':
    case 'number':
      return String(p.min ?? 1);
    case 'boolean':
      return 'true';
    case 'json':
      return '{}';
    default:
      return p.values?.[0] ?? p.pattern?.example ?? 'x';
  }
}

/** An experiment of one action `a` on its catalog target `T`, with every required parameter. */
function experimentOf(
  actionId: string,
  parameters: Record<string, string> = {},
  extra: { local?: ActionInput['local']; targetLocal?: string; experiment?: Partial<ExperimentInput> } = {},
) {
  const spec = findFisAction(actionId)!;
  const filled = Object.fromEntries(
    Object.entries(spec.parameters)
      .filter(([key, p]) => p.required && parameters[key] === undefined)
      .map(([key, p]) => [key, filler(p)]),
  );
  return experimentSchema.parse({
    localPath: '/api/*',
    ...extra.experiment,
    targets: spec.targetKey
      ? {
          T: {
            resourceType: spec.resourceType,
            resourceTags: { app: 'orders' },
            selectionMode: 'ALL',
            ...(extra.targetLocal ? { localTarget: extra.targetLocal } : {}),
          },
        }
      : {},
    actions: {
      a: {
        actionId,
        parameters: { ...filled, ...parameters },
        ...(spec.targetKey ? { targets: { [spec.targetKey]: 'T' } } : {}),
        ...(extra.local ? { local: extra.local } : {}),
      },
    },
  });
}

const fault = (spec: string, durationMs = 60_000) => ({
  durationMs,
  effect: { kind: 'fault', spec },
});
const proc = (op: string, target: string, durationMs = 0) => ({
  durationMs,
  effect: { kind: 'process', op, target },
});

describe('planLocalExperiment: every action family has its local effect', () => {
  test.each<[string, Record<string, string>, Expected]>([
    // lambda-invocation
    [
      'aws:lambda:invocation-add-delay',
      { duration: 'PT20S', invocationPercentage: '50', startupDelayMilliseconds: '1500' },
      fault('latency:ms=1500,percent=50,path=/api/*', 20_000),
    ],
    ['aws:lambda:invocation-add-delay', {}, fault('latency:ms=1000,percent=100,path=/api/*')],
    [
      'aws:lambda:invocation-error',
      { invocationPercentage: '30', preventExecution: 'true' },
      fault('error:status=500,percent=30,path=/api/*'),
    ],
    [
      'aws:lambda:invocation-http-integration-response',
      { statusCode: '503', contentTypeHeader: 'application/json', preventExecution: 'true' },
      fault('error:status=503,percent=100,path=/api/*'),
    ],
    // network/latency: delay, jitter and the share of flows
    [
      'aws:ecs:task-network-latency',
      { delayMilliseconds: '300', jitterMilliseconds: '50', flowsPercent: '40' },
      fault('latency:ms=300,jitter=50,percent=40,path=/api/*'),
    ],
    [
      'aws:eks:pod-network-latency',
      { duration: 'PT5M' },
      fault('latency:ms=200,jitter=10,percent=100,path=/api/*', 300_000),
    ],
    // network/packet-loss: the lost share of requests is held (blackhole)
    [
      'aws:ecs:task-network-packet-loss',
      { lossPercent: '20', flowsPercent: '50' },
      fault('blackhole:percent=10,path=/api/*'),
    ],
    ['aws:eks:pod-network-packet-loss', {}, fault('blackhole:percent=7,path=/api/*')],
    [
      'aws:ecs:task-network-packet-loss',
      { lossPercent: '7', flowsPercent: '50' },
      fault('blackhole:percent=3.5,path=/api/*'),
    ],
    // network/blackhole and network/disrupt
    ['aws:ecs:task-network-blackhole-port', { port: '5432' }, fault('blackhole:percent=100,path=/api/*')],
    ['aws:eks:pod-network-blackhole-port', { port: '443' }, fault('blackhole:percent=100,path=/api/*')],
    ['aws:network:disrupt-vpc-endpoint', {}, fault('blackhole:percent=100,path=/api/*')],
    ['aws:network:disrupt-connectivity', { scope: 'all' }, fault('blackhole:percent=100,path=/api/*')],
    ['aws:network:disrupt-connectivity', {}, fault('blackhole:percent=100,path=/api/*')],
    ['aws:network:disrupt-connectivity', { scope: 's3' }, fault('reset:percent=100,path=/api/*')],
    [
      'aws:network:route-table-disrupt-cross-region-connectivity',
      { region: 'eu-central-1' },
      fault('reset:percent=100,path=/api/*'),
    ],
    [
      'aws:network:transit-gateway-disrupt-cross-region-connectivity',
      { region: 'eu-central-1' },
      fault('reset:percent=100,path=/api/*'),
    ],
    [
      'aws:directconnect:virtual-interface-disconnect',
      { duration: 'PT10M' },
      fault('blackhole:percent=100,path=/api/*', 600_000),
    ],
    // process/*: the default target here is '' (a single unnamed target)
    ['aws:ecs:stop-task', {}, proc('kill', '')],
    ['aws:ec2:stop-instances', { startInstancesAfterDuration: 'PT2M' }, proc('stop', '', 120_000)],
    ['aws:ec2:stop-instances', {}, proc('stop', '')],
    ['aws:ec2:terminate-instances', {}, proc('kill', '')],
    ['aws:ec2:reboot-instances', {}, proc('stop', '')],
    ['aws:ec2:send-spot-instance-interruptions', {}, proc('kill', '')],
    ['aws:eks:pod-delete', {}, proc('stop', '')],
    ['aws:eks:terminate-nodegroup-instances', {}, proc('kill', '')],
    ['aws:ecs:task-kill-process', { processName: 'node' }, proc('stop', '')],
    ['aws:ecs:task-kill-process', { processName: 'node', signal: 'SIGKILL' }, proc('kill', '')],
    ['aws:rds:failover-db-cluster', {}, proc('kill', '')],
    ['aws:rds:reboot-db-instances', { forceFailover: 'true' }, proc('stop', '')],
    [
      'aws:elasticache:replicationgroup-interrupt-az-power',
      { duration: 'PT30M' },
      proc('stop', '', 1_800_000),
    ],
    // wait, assert-alarms
    ['aws:fis:wait', { duration: 'PT90S' }, { durationMs: 90_000, effect: { kind: 'wait' } }],
    [
      'aws:cloudwatch:assert-alarm-state',
      {
        alarmArns: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:HighErrorRate,Slow',
        alarmStates: 'OK,ALARM',
      },
      {
        durationMs: 0,
        effect: { kind: 'assert-alarms', alarms: ['HighErrorRate', 'Slow'], states: ['OK', 'ALARM'] },
      },
    ],
  ])('%s %j', (actionId, parameters, expected) => {
    const plan = planLocalExperiment('x', experimentOf(actionId, parameters));
    expect(plan.errors).toEqual([]);
    expect(plan.refused).toEqual([]);
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0]).toMatchObject({ action: 'a', actionId, startAfter: [], ...expected });
    expect(plan.steps[0]!.standIn).toBeUndefined();
  });

  test.each([
    ['aws:ecs:task-cpu-stress', 'stress'],
    ['aws:eks:inject-kubernetes-custom-resource', 'kubernetes'],
    ['aws:ebs:pause-volume-io', 'storage'],
    ['aws:s3:bucket-pause-replication', 'replication-pause'],
    ['aws:arc:start-zonal-autoshift', 'traffic-shift'],
    ['aws:ecs:drain-container-instances', 'capacity'],
    ['aws:fis:inject-api-internal-error', 'aws-api'],
    ['aws:ssm:start-automation-execution', 'command'],
  ])('%s (%s) has no local meaning: refused by name with the reason', (actionId, family) => {
    const plan = planLocalExperiment('x', experimentOf(actionId));
    expect(plan.steps).toEqual([]);
    expect(plan.refused).toEqual([
      {
        action: 'a',
        actionId,
        path: 'experiments.x.actions.a.actionId',
        reason: `${actionId} (${family}) has no local effect on the embedded provider; give it a local stand-in (a fault SPEC, a process fault or a command) or run it on the aws provider`,
      },
    ]);
  });

  const documentArn = (name: string) => `arn:aws:ssm:eu-west-1::document/${name}`;
  test.each<[string, Record<string, unknown>, Expected]>([
    [
      'AWSFIS-Run-Network-Latency',
      { DelayMilliseconds: '300', JitterMilliseconds: 20, Interface: 'eth0', DurationSeconds: '60' },
      fault('latency:ms=300,jitter=20,percent=100,path=/api/*', 120_000),
    ],
    [
      'AWSFIS-Run-Network-Latency-Sources',
      { Sources: 'DYNAMODB' },
      fault('latency:ms=200,jitter=10,percent=100,path=/api/*', 120_000),
    ],
    [
      'AWSFIS-Run-Network-Packet-Loss',
      { LossPercent: '30' },
      fault('blackhole:percent=30,path=/api/*', 120_000),
    ],
    ['AWSFIS-Run-Network-Packet-Loss-Sources', {}, fault('blackhole:percent=7,path=/api/*', 120_000)],
    [
      'AWSFIS-Run-Network-Blackhole-Port',
      { Port: '5432', Protocol: 'tcp' },
      fault('blackhole:percent=100,path=/api/*', 120_000),
    ],
    ['AWSFIS-Run-Kill-Process', { ProcessName: 'node', Signal: 'SIGKILL' }, proc('kill', '')],
    ['AWSFIS-Run-Kill-Process', { ProcessName: 'node' }, proc('stop', '')],
  ])(
    'aws:ssm:send-command running %s %j (EC2 network faults and process kill)',
    (document, documentParameters, expected) => {
      const plan = planLocalExperiment(
        'x',
        experimentOf('aws:ssm:send-command', {
          documentArn: documentArn(document),
          documentParameters: JSON.stringify(documentParameters),
          duration: 'PT2M',
        }),
      );
      expect(plan.refused).toEqual([]);
      expect(plan.steps[0]).toMatchObject(expected);
    },
  );

  test('aws:ssm:send-command running a document without a local meaning is refused at its documentArn', () => {
    const plan = planLocalExperiment(
      'x',
      experimentOf('aws:ssm:send-command', {
        documentArn: documentArn('AWSFIS-Run-CPU-Stress'),
        documentParameters: '{}',
      }),
    );
    expect(plan.refused).toEqual([
      {
        action: 'a',
        actionId: 'aws:ssm:send-command',
        path: 'experiments.x.actions.a.parameters.documentArn',
        reason:
          'aws:ssm:send-command runs AWSFIS-Run-CPU-Stress, which has no local effect on the embedded provider (those with one: AWSFIS-Run-Network-Latency, AWSFIS-Run-Network-Latency-Sources, AWSFIS-Run-Network-Packet-Loss, AWSFIS-Run-Network-Packet-Loss-Sources, AWSFIS-Run-Network-Blackhole-Port, AWSFIS-Run-Kill-Process); give it a local stand-in (a fault SPEC, a process fault or a command) or run it on the aws provider',
      },
    ]);
  });

  test('an HTTP status the gateway cannot answer is refused at its parameter', () => {
    const plan = planLocalExperiment(
      'x',
      experimentOf('aws:lambda:invocation-http-integration-response', {
        statusCode: '200',
        contentTypeHeader: 'text/plain',
        preventExecution: 'true',
      }),
    );
    expect(plan.refused).toMatchObject([
      {
        path: 'experiments.x.actions.a.parameters.statusCode',
        reason: 'locally only 4xx and 5xx statuses can be injected, got 200',
      },
    ]);
  });
});

describe('the local target of a process fault', () => {
  test.each<
    [string, Parameters<typeof experimentOf>[2], { defaultTarget?: string }, string, string | undefined]
  >([
    [
      'the FIS target names it',
      { targetLocal: 'db', experiment: { localTarget: 'api' } },
      { defaultTarget: 'web' },
      'db',
      'targets.T.localTarget',
    ],
    [
      'else the experiment names it',
      { experiment: { localTarget: 'api' } },
      { defaultTarget: 'web' },
      'api',
      'localTarget',
    ],
    ['else the environment default', {}, { defaultTarget: 'web' }, 'web', undefined],
    ['else the single unnamed target', {}, {}, '', undefined],
  ])('%s', (_what, extra, options, target, targetPath) => {
    const [step] = buildLocalPlan('x', experimentOf('aws:rds:failover-db-cluster', {}, extra), options);
    expect(step!.effect).toEqual({ kind: 'process', op: 'kill', target });
    expect(step!.targetPath).toBe(targetPath);
  });
});

describe('local stand-ins', () => {
  const automation = {
    documentArn: 'arn:aws:ssm:eu-west-1:123456789012:document/Impair',
    maxDuration: 'PT10M',
  };
  test.each<[string, string, Record<string, string>, ActionInput['local'], Expected]>([
    [
      'a fault SPEC without a path takes the experiment localPath, for the action duration (maxDuration)',
      'aws:ssm:start-automation-execution',
      automation,
      { fault: 'blackhole:percent=100' },
      fault('blackhole:percent=100,path=/api/*', 600_000),
    ],
    [
      'a fault SPEC with its own path keeps it',
      'aws:ssm:send-command',
      { duration: 'PT2M' },
      { fault: 'error:status=503,percent=50,path=/orders/*' },
      fault('error:status=503,percent=50,path=/orders/*', 120_000),
    ],
    [
      'restart is a stop for the action duration',
      'aws:ebs:pause-volume-io',
      { duration: 'PT30S' },
      { process: 'restart', target: 'db' },
      { ...proc('stop', 'db', 30_000), targetPath: 'actions.a.local.target' },
    ],
    [
      'kill',
      'aws:ec2:api-insufficient-instance-capacity-error',
      {},
      { process: 'kill', target: 'db' },
      proc('kill', 'db', 60_000),
    ],
    [
      'pause',
      'aws:dynamodb:global-table-pause-replication',
      {},
      { process: 'pause', target: 'replica' },
      proc('pause', 'replica', 60_000),
    ],
    [
      'a command and its undo',
      'aws:eks:pod-cpu-stress',
      { kubernetesServiceAccount: 'fis' },
      { run: ['stress-ng', '--cpu', '1'], undo: ['pkill', 'stress-ng'] },
      {
        durationMs: 60_000,
        effect: { kind: 'command', run: ['stress-ng', '--cpu', '1'], undo: ['pkill', 'stress-ng'] },
      },
    ],
    [
      'a stand-in wins over the action own local meaning',
      'aws:rds:failover-db-cluster',
      {},
      { process: 'pause', target: 'db' },
      proc('pause', 'db', 0),
    ],
  ])('%s', (_what, actionId, parameters, local, expected) => {
    const plan = planLocalExperiment('x', experimentOf(actionId, parameters, { local }));
    expect(plan.refused).toEqual([]);
    expect(plan.steps[0]).toMatchObject({ ...expected, standIn: true });
  });

  test('a fault stand-in on an action without a duration is refused: the fault would last 0 s', () => {
    const plan = planLocalExperiment(
      'x',
      experimentOf('aws:ec2:terminate-instances', {}, { local: { fault: 'reset:percent=100' } }),
    );
    expect(plan.refused).toEqual([
      {
        action: 'a',
        actionId: 'aws:ec2:terminate-instances',
        path: 'experiments.x.actions.a.local.fault',
        reason:
          "a fault stand-in lasts the action's duration, and aws:ec2:terminate-instances has none; use a process or command stand-in",
      },
    ]);
  });
});

describe('buildLocalPlan', () => {
  test('throws every problem at once: validation errors and refused actions, each with its path', () => {
    const experiment = experimentSchema.parse({
      targets: {
        fn: { resourceType: 'aws:lambda:function', resourceTags: { a: 'b' }, selectionMode: 'ALL' },
      },
      actions: {
        typo: { actionId: 'aws:lambda:invocation-errors', targets: { Functions: 'fn' } },
        stress: { actionId: 'aws:fis:inject-api-throttle-error', parameters: { duration: 'PT1M' } },
      },
    });
    let error: unknown;
    try {
      buildLocalPlan('x', experiment);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).diagnostics.map((d) => d.path)).toEqual([
      'experiments.x.actions.typo.actionId',
      // inject-api-throttle-error lacks its required parameters and its target: validation errors.
      'experiments.x.actions.stress.parameters',
      'experiments.x.actions.stress.parameters',
      'experiments.x.actions.stress.parameters',
      'experiments.x.actions.stress.targets',
    ]);
    expect((error as ConfigError).message).toMatch(
      /experiment x cannot run: experiments.x.actions.typo.actionId: unknown FIS action "aws:lambda:invocation-errors"; did you mean "aws:lambda:invocation-error"/,
    );
  });

  test('answers the steps of a plan with nothing refused', () => {
    expect(buildLocalPlan('x', experimentOf('aws:fis:wait', { duration: 'PT1M' }))).toHaveLength(1);
    expect(() => buildLocalPlan('x', experimentOf('aws:ecs:task-cpu-stress'))).toThrow(
      /experiments.x.actions.a.actionId: aws:ecs:task-cpu-stress \(stress\) has no local effect/,
    );
  });
});

describe('formatLocalPlan', () => {
  test('one line per action: its effect, its stand-in (marked) or why it cannot run here', () => {
    const experiment = experimentSchema.parse({
      localPath: '/api/*',
      targets: {
        tasks: { resourceType: 'aws:ecs:task', resourceTags: { a: 'b' }, selectionMode: 'ALL' },
        db: {
          resourceType: 'aws:rds:cluster',
          resourceTags: { a: 'b' },
          selectionMode: 'ALL',
          localTarget: 'db',
        },
        vm: { resourceType: 'aws:ec2:instance', resourceTags: { a: 'b' }, selectionMode: 'ALL' },
      },
      actions: {
        latency: {
          actionId: 'aws:ecs:task-network-latency',
          parameters: { duration: 'PT1M', delayMilliseconds: '300' },
          targets: { Tasks: 'tasks' },
        },
        failover: {
          actionId: 'aws:rds:failover-db-cluster',
          targets: { Clusters: 'db' },
          startAfter: ['latency'],
        },
        stop: {
          actionId: 'aws:ec2:stop-instances',
          parameters: { startInstancesAfterDuration: 'PT2M' },
          targets: { Instances: 'vm' },
        },
        cpu: {
          actionId: 'aws:ecs:task-cpu-stress',
          parameters: { duration: 'PT1M' },
          targets: { Tasks: 'tasks' },
        },
        impair: {
          actionId: 'aws:ssm:start-automation-execution',
          parameters: { documentArn: 'arn:aws:ssm:eu-west-1:123456789012:document/X', maxDuration: 'PT1M' },
          local: { run: ['tc', 'qdisc', 'add'], undo: ['tc', 'qdisc', 'del'] },
        },
        settle: { actionId: 'aws:fis:wait', parameters: { duration: 'PT30S' }, startAfter: ['failover'] },
      },
    });
    const plan = planLocalExperiment('x', experiment, { defaultTarget: 'api' });
    expect(formatLocalPlan(plan.entries, 'the gateway of api')).toEqual([
      'latency (aws:ecs:task-network-latency): latency:ms=300,jitter=10,percent=100,path=/api/* on the gateway of api for 60s',
      'failover (aws:rds:failover-db-cluster): kill (SIGKILL) target db, start it again at once after latency',
      'stop (aws:ec2:stop-instances): stop (SIGTERM) target api, start it again after 120s',
      'cpu (aws:ecs:task-cpu-stress): cannot run here: aws:ecs:task-cpu-stress (stress) has no local effect on the embedded provider; give it a local stand-in (a fault SPEC, a process fault or a command) or run it on the aws provider',
      'impair (aws:ssm:start-automation-execution): stand-in: run tc qdisc add, undo with tc qdisc del for 60s',
      'settle (aws:fis:wait): wait for 30s after failover',
    ]);
  });
});
