import type { ArnComponents } from 'aws-cdk-lib';
import { describe, expect, test } from 'vitest';
import { type ExperimentInput, experimentSchema } from '../core/schema.ts';
import { buildFisPermissions, UnsupportedFisActionError, usesLambdaFaults } from './fis-permissions.ts';

const ctx = {
  formatArn: (c: ArnComponents) =>
    `arn:aws:${c.service}:eu-west-1:111122223333:${c.resource}${c.resourceName ? `${c.arnFormat === 'arn:aws:service:region:account:resource:resourceName' ? ':' : '/'}${c.resourceName}` : ''}`,
  lambdaConfigObjectsArn: 'arn:aws:s3:::fis-config/FisConfigs/*',
};

const lambdaByTag: ExperimentInput = {
  targets: {
    Functions: {
      resourceType: 'aws:lambda:function',
      resourceTags: { service: 'demo' },
      selectionMode: 'ALL',
    },
  },
  actions: {
    delay: {
      actionId: 'aws:lambda:invocation-add-delay',
      parameters: { duration: 'PT1M', startupDelayMilliseconds: '1000' },
      targets: { Functions: 'Functions' },
    },
  },
};
const lambdaByArn: ExperimentInput = {
  targets: {
    Functions: {
      resourceType: 'aws:lambda:function',
      resourceArns: ['arn:aws:lambda:eu-west-1:111122223333:function:orders'],
      selectionMode: 'ALL',
    },
  },
  actions: {
    errors: {
      actionId: 'aws:lambda:invocation-error',
      parameters: { duration: 'PT1M' },
      targets: { Functions: 'Functions' },
    },
  },
};
const ecsStop: ExperimentInput = {
  targets: {
    Tasks: {
      resourceType: 'aws:ecs:task',
      resourceTags: { service: 'demo' },
      selectionMode: 'COUNT(1)',
      parameters: { cluster: 'demo-cluster', service: 'demo' },
    },
  },
  actions: { stop: { actionId: 'aws:ecs:stop-task', targets: { Tasks: 'Tasks' } } },
};
const waitOnly: ExperimentInput = {
  actions: { wait: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1M' } } },
};

const logging = ['CreateLogDelivery', 'LogGroupResourcePolicy'];

describe('buildFisPermissions', () => {
  test.each([
    [
      'Lambda faults on tagged functions',
      lambdaByTag,
      ['InspectTargetFunctions', 'WriteFaultConfiguration', 'ResolveTargetsByTags', ...logging],
    ],
    [
      'Lambda faults on listed functions',
      lambdaByArn,
      ['InspectTargetFunctions', 'WriteFaultConfiguration', ...logging],
    ],
    ['ECS task stop', ecsStop, ['StopTargetTasks', 'ListTasks', 'ResolveTargetsByTags', ...logging]],
    ['wait only', waitOnly, logging],
  ])('%s: only the statements it needs', (_name, input, sids) => {
    const statements = buildFisPermissions(experimentSchema.parse(input), ctx);
    expect(statements.map((s) => s.sid)).toEqual(sids);
    for (const s of statements) for (const a of s.actions) expect(a).not.toMatch(/(^\*$)|(:\*$)/);
  });

  test.each([
    [
      'listed functions keep their ARNs',
      lambdaByArn,
      'InspectTargetFunctions',
      ['arn:aws:lambda:eu-west-1:111122223333:function:orders'],
    ],
    [
      'tagged functions: this account and region',
      lambdaByTag,
      'InspectTargetFunctions',
      ['arn:aws:lambda:eu-west-1:111122223333:function:*'],
    ],
    [
      'fault configurations: the config folder only',
      lambdaByTag,
      'WriteFaultConfiguration',
      ['arn:aws:s3:::fis-config/FisConfigs/*'],
    ],
    [
      'tasks of the target cluster',
      ecsStop,
      'StopTargetTasks',
      ['arn:aws:ecs:eu-west-1:111122223333:task/demo-cluster/*'],
    ],
  ])('%s', (_name, input, sid, resources) => {
    const statement = buildFisPermissions(experimentSchema.parse(input), ctx).find((s) => s.sid === sid);
    expect(statement?.resources).toEqual(resources);
  });

  test('an action without a known policy asks for an explicit role', () => {
    const input: ExperimentInput = {
      actions: { cut: { actionId: 'aws:network:disrupt-connectivity', parameters: { duration: 'PT1M' } } },
    };
    expect(() => buildFisPermissions(experimentSchema.parse(input), ctx)).toThrow(UnsupportedFisActionError);
    expect(() => buildFisPermissions(experimentSchema.parse(input), ctx)).toThrow(/roleArn/);
  });

  test('Lambda faults need the configuration bucket', () => {
    expect(() =>
      buildFisPermissions(experimentSchema.parse(lambdaByTag), { formatArn: ctx.formatArn }),
    ).toThrow(/configuration bucket/);
  });

  test.each([
    [lambdaByTag, true],
    [ecsStop, false],
    [waitOnly, false],
  ])('usesLambdaFaults %#', (input, expected) => {
    expect(usesLambdaFaults(experimentSchema.parse(input))).toBe(expected);
  });
});
