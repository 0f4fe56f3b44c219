import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { buildFisTemplateInput } from './build-fis-template.ts';
import { loadFisTemplate, parseFisTemplate } from './load-fis-template.ts';

/** A template in FIS's GetExperimentTemplate answer shape (AWS API reference). */
const template = {
  experimentTemplate: {
    id: 'EXT123456789',
    arn: 'arn:aws:fis:eu-west-1:123456789012:experiment-template/EXT123456789',
    description: 'Lambda errors',
    targets: {
      Functions: {
        resourceType: 'aws:lambda:function',
        resourceTags: { service: 'demo' },
        selectionMode: 'ALL',
      },
    },
    actions: {
      errors: {
        actionId: 'aws:lambda:invocation-error',
        parameters: { duration: 'PT2M', invocationPercentage: '30', preventExecution: 'true' },
        targets: { Functions: 'Functions' },
      },
      settle: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1M' }, startAfter: ['errors'] },
    },
    stopConditions: [
      {
        source: 'aws:cloudwatch:alarm',
        value: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:HighErrorRate',
      },
    ],
    roleArn: 'arn:aws:iam::123456789012:role/fis',
    creationTime: '2026-01-01T00:00:00Z',
    lastUpdateTime: '2026-01-01T00:00:00Z',
    logConfiguration: { logSchemaVersion: 2, cloudWatchLogsConfiguration: { logGroupArn: 'arn:x' } },
    experimentOptions: { accountTargeting: 'single-account', emptyTargetResolutionMode: 'skip' },
    tags: { team: 'sre' },
  },
};

describe('parseFisTemplate', () => {
  test('converts an FIS template, keeping ARNs, experimentOptions and logConfiguration', () => {
    const { experiment, diagnostics } = parseFisTemplate(template, 'lambda-errors');
    expect(experiment).toMatchObject({
      description: 'Lambda errors',
      allowEmptyTargets: true,
      tags: { team: 'sre' },
      actions: { settle: { startAfter: ['errors'] } },
      stopConditions: [
        { source: 'aws:cloudwatch:alarm', value: expect.stringContaining(':alarm:HighErrorRate') },
      ],
    });
    expect(diagnostics).toEqual([]);
    // And back: the same actions and stop conditions go to CreateExperimentTemplate.
    const input = buildFisTemplateInput('lambda-errors', experiment!, {
      service: 'demo',
      region: 'eu-west-1',
      accountId: '123456789012',
    });
    expect(input.stopConditions).toEqual(template.experimentTemplate.stopConditions);
    expect(input.experimentOptions).toEqual({
      accountTargeting: 'single-account',
      emptyTargetResolutionMode: 'skip',
    });
    expect(input.tags).toMatchObject({ team: 'sre', 'opsproof:experiment': 'lambda-errors' });
    expect(input.logConfiguration).toEqual(template.experimentTemplate.logConfiguration);
  });

  test('keeps the report configuration and sends a multi-account template as written, with a warning', () => {
    const report = {
      outputs: { s3Configuration: { bucketName: 'reports', prefix: 'fis/' } },
      preExperimentDuration: 'PT5M',
      postExperimentDuration: 'PT5M',
    };
    const { experiment, diagnostics } = parseFisTemplate({
      ...template.experimentTemplate,
      experimentOptions: { accountTargeting: 'multi-account', emptyTargetResolutionMode: 'fail' },
      experimentReportConfiguration: report,
    });
    expect(experiment?.experimentReportConfiguration).toEqual(report);
    expect(experiment?.allowEmptyTargets).toBe(false);
    expect(diagnostics).toEqual([
      expect.objectContaining({ path: 'experimentOptions.accountTargeting', severity: 'warning' }),
    ]);
    const input = buildFisTemplateInput('multi', experiment!, {
      service: 'demo',
      region: 'eu-west-1',
      accountId: '123456789012',
    });
    expect(input.experimentOptions).toEqual({
      accountTargeting: 'multi-account',
      emptyTargetResolutionMode: 'fail',
    });
  });

  test.each([
    [
      { actions: { a: { actionId: 'aws:lambda:nope' } } },
      'template.actions.a.actionId',
      /unknown FIS action/,
    ],
    [
      { actions: { a: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1M', extra: '1' } } } },
      'template.actions.a.parameters.extra',
      /unknown parameter "extra"/,
    ],
    [{ actions: {} }, 'actions', /at least one action/],
  ])('reports %j at its path', (value, path, message) => {
    const { experiment, diagnostics } = parseFisTemplate(value);
    expect(experiment).toBeUndefined();
    expect(diagnostics).toContainEqual(
      expect.objectContaining({ path, severity: 'error', message: expect.stringMatching(message) }),
    );
  });
});

test('loadFisTemplate throws a ConfigError naming the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-fis-template-'));
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ actions: { a: { actionId: 'aws:lambda:nope' } } }));
  await expect(loadFisTemplate(join(dir, 'bad.json'))).rejects.toThrow(ConfigError);
  await expect(loadFisTemplate(join(dir, 'bad.json'))).rejects.toThrow(/bad.json: not a valid FIS template/);
  writeFileSync(join(dir, 'good.json'), JSON.stringify(template));
  expect((await loadFisTemplate(join(dir, 'good.json'))).experiment.description).toBe('Lambda errors');
});
