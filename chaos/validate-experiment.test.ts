import { describe, expect, test } from 'vitest';
import { type ExperimentInput, experimentSchema } from '../core/schema.ts';
import { nearestFisActions, validateExperiment } from './validate-experiment.ts';

const fn = { resourceType: 'aws:lambda:function', resourceTags: { service: 'demo' }, selectionMode: 'ALL' };

function experiment(actions: ExperimentInput['actions'], extra: Partial<ExperimentInput> = {}) {
  return experimentSchema.parse({ targets: { Functions: fn }, actions, ...extra });
}

describe('validateExperiment', () => {
  test('the demo suite experiments are valid', async () => {
    const { default: suite } = await import('../opsproof.config.ts');
    for (const [name, input] of Object.entries(suite.experiments ?? {})) {
      const errors = validateExperiment(name, experimentSchema.parse(input)).filter(
        (d) => d.severity === 'error',
      );
      expect(errors, name).toEqual([]);
    }
  });

  test.each([
    [
      'unknown action',
      {
        a: { actionId: 'aws:lambda:invocation-explode', parameters: {}, targets: { Functions: 'Functions' } },
      },
      'experiments.x.actions.a.actionId',
      /unknown FIS action "aws:lambda:invocation-explode"; did you mean "aws:lambda:invocation-error"/,
    ],
    [
      'unknown parameter',
      {
        a: {
          actionId: 'aws:lambda:invocation-add-delay',
          parameters: { duration: 'PT1M', delayMs: '5' },
          targets: { Functions: 'Functions' },
        },
      },
      'experiments.x.actions.a.parameters.delayMs',
      /unknown parameter "delayMs" .*expected duration, invocationPercentage, startupDelayMilliseconds/,
    ],
    [
      'missing required parameter',
      {
        a: {
          actionId: 'aws:lambda:invocation-error',
          parameters: { duration: 'PT1M' },
          targets: { Functions: 'Functions' },
        },
      },
      'experiments.x.actions.a.parameters',
      /missing required parameter "preventExecution"/,
    ],
    [
      'bad duration',
      {
        a: {
          actionId: 'aws:lambda:invocation-add-delay',
          parameters: { duration: '20s' },
          targets: { Functions: 'Functions' },
        },
      },
      'experiments.x.actions.a.parameters.duration',
      /ISO-8601/,
    ],
    [
      'percentage out of range',
      {
        a: {
          actionId: 'aws:lambda:invocation-add-delay',
          parameters: { duration: 'PT1M', invocationPercentage: '150' },
          targets: { Functions: 'Functions' },
        },
      },
      'experiments.x.actions.a.parameters.invocationPercentage',
      /1–100/,
    ],
    [
      'wrong target key',
      { a: { actionId: 'aws:ecs:stop-task', targets: { Functions: 'Functions' } } },
      'experiments.x.actions.a.targets.Functions',
      /expected "Tasks"/,
    ],
    [
      'unknown startAfter',
      { a: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1M' }, startAfter: ['b'] } },
      'experiments.x.actions.a.startAfter[0]',
      /no action named "b"/,
    ],
    [
      'bad alarm state',
      {
        a: {
          actionId: 'aws:cloudwatch:assert-alarm-state',
          parameters: { alarmArns: 'HighErrorRate', alarmStates: 'OK,RED' },
        },
      },
      'experiments.x.actions.a.parameters.alarmStates',
      /unknown value "RED"/,
    ],
    [
      'an action of the reference with a bad enumeration',
      {
        a: {
          actionId: 'aws:ecs:task-network-blackhole-port',
          parameters: { duration: 'PT5M', port: '443', protocol: 'icmp' },
          targets: { Tasks: 'Functions' },
        },
      },
      'experiments.x.actions.a.parameters.protocol',
      /expected one of tcp, udp, got "icmp"/,
    ],
    [
      'a duration beyond the 12 hours FIS allows',
      { a: { actionId: 'aws:fis:wait', parameters: { duration: 'PT13H' } } },
      'experiments.x.actions.a.parameters.duration',
      /longer than FIS allows \(from PT1M to PT12H\)/,
    ],
    [
      'a stand-in fault SPEC that does not parse',
      {
        a: {
          actionId: 'aws:ssm:start-automation-execution',
          parameters: {
            documentArn: 'arn:aws:ssm:eu-west-1:1:document/X',
            documentParameters: '{}',
            maxDuration: 'PT5M',
          },
          local: { fault: 'explode:percent=5' },
        },
      },
      'experiments.x.actions.a.local.fault',
      /unknown kind "explode"/,
    ],
    [
      'scope prefix-list without its prefix list',
      {
        a: {
          actionId: 'aws:network:disrupt-connectivity',
          parameters: { duration: 'PT5M', scope: 'prefix-list' },
          targets: { Subnets: 'Functions' },
        },
      },
      'experiments.x.actions.a.parameters',
      /missing parameter "prefixListIdentifier": aws:network:disrupt-connectivity needs it when scope is "prefix-list"/,
    ],
    [
      'a Region that is not one',
      {
        a: {
          actionId: 'aws:network:route-table-disrupt-cross-region-connectivity',
          parameters: { duration: 'PT5M', region: 'Frankfurt' },
          targets: { Subnets: 'Functions' },
        },
      },
      'experiments.x.actions.a.parameters.region',
      /expected a value like eu-central-1, got "Frankfurt"/,
    ],
    [
      'a mistyped Aurora failover',
      { a: { actionId: 'aws:rds:failover-cluster', targets: { Clusters: 'Functions' } } },
      'experiments.x.actions.a.actionId',
      /did you mean "aws:rds:failover-db-cluster"/,
    ],
  ])('%s', (_what, actions, path, message) => {
    const diagnostics = validateExperiment('x', experiment(actions as ExperimentInput['actions']));
    expect(diagnostics).toContainEqual({ path, severity: 'error', message: expect.stringMatching(message) });
  });

  const wait = { a: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1M' } } };
  test.each([
    [{ ...fn, selectionMode: 'COUNT(0)' }, 'selectionMode', /COUNT\(n\) needs n ≥ 1, got COUNT\(0\)/],
    [{ ...fn, selectionMode: 'PERCENT(0)' }, 'selectionMode', /PERCENT\(n\) needs n from 1 to 100/],
    [{ ...fn, selectionMode: 'PERCENT(101)' }, 'selectionMode', /PERCENT\(n\) needs n from 1 to 100/],
    [{ ...fn, resourceArns: ['arn:aws:lambda:eu-west-1:1:function:f'] }, 'resourceArns', /not both/],
    [
      { resourceType: 'aws:lambda:function', selectionMode: 'ALL' },
      'resourceType',
      /selects nothing: give resourceArns, resourceTags, filters or parameters/,
    ],
  ])('target %j: %s', (target, field, message) => {
    const diagnostics = validateExperiment('x', experiment(wait, { targets: { t: target } }), {
      engine: 'fis',
    });
    expect(diagnostics).toContainEqual({
      path: `experiments.x.targets.t.${field}`,
      severity: 'error',
      message: expect.stringMatching(message),
    });
  });

  test('the aws engine warns of durations below their documented lower bound; locally they may be shorter', () => {
    const short = experiment({
      a: {
        actionId: 'aws:lambda:invocation-add-delay',
        parameters: { duration: 'PT20S' },
        targets: { Functions: 'Functions' },
      },
    });
    expect(validateExperiment('x', short).filter((d) => d.severity === 'error')).toEqual([]);
    expect(validateExperiment('x', short, { engine: 'fis' })).toEqual([
      {
        path: 'experiments.x.actions.a.parameters.duration',
        severity: 'warning',
        message: expect.stringMatching(/shorter than FIS allows \(from PT1M to PT12H\); FIS may refuse it/),
      },
    ]);
  });

  test('a former action id is a warning naming the new one', () => {
    const d = validateExperiment(
      'x',
      experiment(
        {
          a: {
            actionId: 'aws:elasticache:interrupt-cluster-az-power',
            parameters: { duration: 'PT5M' },
            targets: { ReplicationGroups: 'g' },
          },
        },
        {
          targets: {
            g: {
              resourceType: 'aws:elasticache:redis-replicationgroup',
              resourceTags: { a: 'b' },
              selectionMode: 'ALL',
            },
          },
        },
      ),
    );
    expect(d).toEqual([
      {
        path: 'experiments.x.actions.a.actionId',
        severity: 'warning',
        message: expect.stringMatching(/now names it aws:elasticache:replicationgroup-interrupt-az-power/),
      },
    ]);
  });

  test('a startAfter cycle is an error', () => {
    const d = validateExperiment(
      'x',
      experiment({
        a: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1M' }, startAfter: ['b'] },
        b: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1M' }, startAfter: ['a'] },
      }),
    );
    expect(d.map((x) => x.message).join()).toMatch(/cycle: a → b → a/);
  });
});

test.each([
  ['aws:lambda:invocaton-add-delay', 'aws:lambda:invocation-add-delay'],
  ['aws:lambda:invocation-errors', 'aws:lambda:invocation-error'],
  ['aws:ecs:stop-tasks', 'aws:ecs:stop-task'],
  ['aws:fis:wiat', 'aws:fis:wait'],
  ['aws:network:disrupt-connection', 'aws:network:disrupt-connectivity'],
])('a mistyped %s suggests %s first', (typo, nearest) => {
  expect(nearestFisActions(typo)).toEqual([nearest]);
});
