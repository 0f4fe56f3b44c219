import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FisClient, ListExperimentTemplatesCommand } from '@aws-sdk/client-fis';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { InterruptedError } from '../core/errors.ts';
import { type ExperimentInput, experimentSchema } from '../core/schema.ts';
import { Timeline } from '../core/timeline.ts';
import { requireTool } from '../core/tools.ts';
import { EXPERIMENT_TAG } from './build-fis-template.ts';
import { loadFisTemplate } from './load-fis-template.ts';
import { runFisExperiment } from './run-fis-experiment.ts';

const moto = requireTool('moto_server');
let server: ChildProcess | undefined;
let endpoint = '';
const region = 'eu-west-1';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
let fis: FisClient;
let sts: STSClient;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  if (moto.skip) return;
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  server = spawn(moto.path!, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: process.env.MOTO_DEBUG ? 'inherit' : 'ignore',
  });
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
  fis = new FisClient({ region, endpoint, credentials });
  sts = new STSClient({ region, endpoint, credentials });
});
afterAll(() => {
  server?.kill('SIGKILL');
});

const fnArn = 'arn:aws:lambda:eu-west-1:123456789012:function:opsproof-demo-api';
const delay = (targets: ExperimentInput['targets'], extra: Partial<ExperimentInput> = {}) =>
  experimentSchema.parse({
    targets,
    actions: {
      delay: {
        actionId: 'aws:lambda:invocation-add-delay',
        parameters: { duration: 'PT1M', invocationPercentage: '100', startupDelayMilliseconds: '1500' },
        targets: { Functions: 'Functions' },
      },
    },
    stopConditions: [{ source: 'aws:cloudwatch:alarm', value: 'HighErrorRate' }],
    ...extra,
  });
const missingGuardian = fileURLToPath(new URL('./fixtures/no-such-guardian.js', import.meta.url));
const fixtureDir = fileURLToPath(new URL('./fixtures/fis-templates/', import.meta.url));
const byArn = {
  Functions: { resourceType: 'aws:lambda:function', resourceArns: [fnArn], selectionMode: 'ALL' },
};
const byTag = {
  Functions: { resourceType: 'aws:lambda:function', resourceTags: { service: 'none' }, selectionMode: 'ALL' },
};

const options = (timeline: Timeline, signal = new AbortController().signal) => ({
  service: 'opsproof-demo',
  region,
  timeline,
  signal,
  fis,
  sts,
  pollMs: 20,
});

describe.skipIf(moto.skip)('FIS engine against moto', () => {
  test('creates the template, starts the experiment, follows it to completed', async () => {
    const timeline = new Timeline();
    const journal = await runFisExperiment('fis-delay', delay(byArn), options(timeline));
    expect(journal).toMatchObject({
      engine: 'fis',
      status: 'completed',
      dryRun: false,
      fisExperimentId: expect.any(String),
    });
    expect(journal.activities).toMatchObject([
      { name: 'delay', actionId: 'aws:lambda:invocation-add-delay', status: 'succeeded' },
    ]);
    expect(timeline.records().map((r) => r.type)).toEqual([
      'experiment.start',
      'action.start',
      'fault.start',
      'fault.end',
      'action.end',
      'experiment.end',
    ]);
    // A second run updates the same template instead of creating another.
    await runFisExperiment('fis-delay', delay(byArn), options(new Timeline()));
    const templates = (await fis.send(new ListExperimentTemplatesCommand({}))).experimentTemplates ?? [];
    expect(templates.filter((t) => t.tags?.[EXPERIMENT_TAG] === 'fis-delay')).toHaveLength(1);
  });

  test('Ctrl-C stops the running experiment and the journal says interrupted', async () => {
    const timeline = new Timeline();
    const interrupt = new AbortController();
    timeline.on((r) => {
      if (r.type === 'action.start') interrupt.abort(new InterruptedError('SIGINT'));
    });
    const journal = await runFisExperiment(
      'fis-interrupt',
      delay(byArn),
      options(timeline, interrupt.signal),
    );
    expect(journal.status).toBe('interrupted');
    const state = await fis.send(
      new (await import('@aws-sdk/client-fis')).GetExperimentCommand({ id: journal.fisExperimentId! }),
    );
    expect(state.experiment?.state?.status).toBe('stopped');
    expect(journal.activities[0]?.status).toBe('stopped');
    expect(timeline.find('fault.end')?.reason).toBe('interrupted');
  });

  test.each(['rds-aurora.json', 'ecs.json', 'eks.json'])(
    'Ctrl-C stops a running experiment of the new actions too (%s), with the guardian armed',
    async (file) => {
      const name = `interrupt-${file.replace('.json', '')}`;
      const { experiment } = await loadFisTemplate(join(fixtureDir, file), name);
      const timeline = new Timeline();
      const interrupt = new AbortController();
      timeline.on((r) => {
        if (r.type === 'action.start') interrupt.abort(new InterruptedError('SIGINT'));
      });
      const journal = await runFisExperiment(name, experiment, options(timeline, interrupt.signal));
      expect(journal.status, journal.error).toBe('interrupted');
      const state = await fis.send(
        new (await import('@aws-sdk/client-fis')).GetExperimentCommand({ id: journal.fisExperimentId! }),
      );
      expect(state.experiment?.state?.status).toBe('stopped');
      expect(journal.activities.length).toBeGreaterThan(0);
      expect(journal.activities.every((a) => a.status === 'stopped')).toBe(true);
      // The guardian started and was armed: no warning about it.
      expect(timeline.records().filter((r) => r.type === 'progress' && r.level === 'warn')).toEqual([]);
    },
  );

  test('what FIS may refuse is a warning before the experiment starts: a duration below its documented bound', async () => {
    const timeline = new Timeline();
    const short = experimentSchema.parse({
      targets: byArn,
      actions: {
        delay: {
          actionId: 'aws:lambda:invocation-add-delay',
          parameters: { duration: 'PT20S' },
          targets: { Functions: 'Functions' },
        },
      },
    });
    const journal = await runFisExperiment('fis-short', short, {
      ...options(timeline),
      dryRun: true,
      guardianScript: missingGuardian,
    });
    expect(journal.status).toBe('completed');
    const warnings = timeline.records().filter((r) => r.type === 'progress' && r.level === 'warn');
    expect(warnings).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(
          /actions\.delay\.parameters\.duration: "PT20S" is shorter than FIS allows \(from PT1M to PT12H\); FIS may refuse it/,
        ),
      }),
    ]);
    // Said before anything reached FIS.
    const records = timeline.records();
    const warned = records.findIndex((r) => r.type === 'progress' && r.level === 'warn');
    expect(warned).toBeGreaterThanOrEqual(0);
    expect(warned).toBeLessThan(records.findIndex((r) => r.type === 'experiment.start'));
  });

  test('targets that resolve to nothing fail the experiment unless allowed', async () => {
    const failed = await runFisExperiment('fis-empty', delay(byTag), options(new Timeline()));
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/resolved to nothing/);
    const allowed = await runFisExperiment(
      'fis-empty-ok',
      delay(byTag, { allowEmptyTargets: true }),
      options(new Timeline()),
    );
    expect(allowed.status).toBe('completed');
  });

  test('a guardian that cannot start is a warning, and the experiment runs as before', async () => {
    const timeline = new Timeline();
    const journal = await runFisExperiment('fis-no-guardian', delay(byArn), {
      ...options(timeline),
      guardianScript: missingGuardian,
    });
    expect(journal.status).toBe('completed');
    const warnings = timeline.records().filter((r) => r.type === 'progress' && r.level === 'warn');
    expect(warnings.map((r) => (r.type === 'progress' ? r.message : ''))).toEqual([
      expect.stringMatching(
        /^the FIS guardian of fis-no-guardian did not start \(it exited \(code 1\) before/,
      ),
    ]);
  });

  test('a guardian lost while the experiment runs is a warning', async () => {
    const timeline = new Timeline();
    const journal = await runFisExperiment('fis-lost-guardian', delay(byArn), {
      ...options(timeline),
      guardianScript: fileURLToPath(new URL('./fixtures/exit-on-watch-guardian.js', import.meta.url)),
      // Three reads of 200 ms to completion: the guardian's exit is seen long before.
      pollMs: 200,
    });
    expect(journal.status).toBe('completed');
    const warnings = timeline.records().filter((r) => r.type === 'progress' && r.level === 'warn');
    expect(warnings.map((r) => (r.type === 'progress' ? r.message : ''))).toEqual([
      `the FIS guardian of fis-lost-guardian exited (code 3): should opsproof be killed now (kill -9), FIS experiment ${journal.fisExperimentId} runs on until FIS ends it`,
    ]);
  });

  test('dry run previews with actionsMode skip-all', async () => {
    const timeline = new Timeline();
    const journal = await runFisExperiment('fis-preview', delay(byArn), {
      ...options(timeline),
      dryRun: true,
      // A preview injects nothing, so no guardian is started (a broken one would be a warning).
      guardianScript: missingGuardian,
    });
    expect(journal).toMatchObject({ dryRun: true, status: 'completed' });
    // The preview lists what each target resolved to, in the journal and as progress lines.
    expect(journal.resolvedTargets).toEqual([
      { targetName: 'Functions', resourceType: 'aws:lambda:function', targetInformation: { arn: fnArn } },
    ]);
    expect(timeline.records().filter((r) => r.type === 'progress')).toEqual([
      expect.objectContaining({
        message: `dry run of fis-preview: target Functions (aws:lambda:function) → ${fnArn}`,
      }),
    ]);
    // Read moto's raw answer: client-fis 3.523 does not model actionsMode.
    const raw = (await (
      await fetch(`${endpoint}/experiments/${journal.fisExperimentId}`, {
        // moto routes by the credential scope of the signature.
        headers: { authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${region}/fis/aws4_request` },
      })
    ).json()) as {
      experiment: { experimentOptions: { actionsMode: string } };
    };
    expect(raw.experiment.experimentOptions.actionsMode).toBe('skip-all');
  });

  const fixtures = readdirSync(fixtureDir).filter((f) => f.endsWith('.json'));
  test('there is a template fixture for every service family of the acceptance', () => {
    expect(fixtures.map((f) => f.replace('.json', '')).sort()).toEqual(
      [
        'data-stores',
        'directconnect',
        'dynamodb',
        'ebs',
        'ec2',
        'ecs',
        'eks',
        'elasticache',
        'lambda',
        'network',
        'rds-aurora',
        's3',
        'ssm',
      ].sort(),
    );
  });

  test.each(fixtures)(
    'AWS-documented template %s: accepted, sent to FIS whole, dry-run with resolved targets',
    async (file) => {
      const path = join(fixtureDir, file);
      const raw = JSON.parse(readFileSync(path, 'utf8')) as {
        experimentTemplate?: Record<string, unknown>;
      } & Record<string, unknown>;
      const sent = raw.experimentTemplate ?? raw;
      const name = `fixture-${file.replace('.json', '')}`;
      const { experiment } = await loadFisTemplate(path, name);
      const timeline = new Timeline();
      const journal = await runFisExperiment(name, experiment, {
        ...options(timeline),
        dryRun: true,
        guardianScript: missingGuardian,
      });
      expect(journal, journal.error).toMatchObject({ dryRun: true, status: 'completed' });
      // moto resolves targets given by ARN (not tags or filters), as FIS would list them.
      const byArn = Object.entries(experiment.targets).flatMap(([targetName, t]) =>
        (t.resourceArns ?? []).map((arn) => ({
          targetName,
          resourceType: t.resourceType,
          targetInformation: { arn },
        })),
      );
      expect(journal.resolvedTargets).toEqual(byArn);

      // What FIS holds is the template as written: targets, actions, options, logs, report.
      const headers = {
        authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${region}/fis/aws4_request`,
      };
      const { experiment: started } = (await (
        await fetch(`${endpoint}/experiments/${journal.fisExperimentId}`, { headers })
      ).json()) as { experiment: { experimentTemplateId: string } };
      const { experimentTemplate: held } = (await (
        await fetch(`${endpoint}/experimentTemplates/${started.experimentTemplateId}`, { headers })
      ).json()) as { experimentTemplate: Record<string, unknown> };
      expect(held.targets).toEqual(sent.targets);
      for (const [actionName, action] of Object.entries(
        sent.actions as Record<string, Record<string, unknown>>,
      ))
        expect((held.actions as Record<string, unknown>)[actionName]).toEqual({ parameters: {}, ...action });
      expect(held.experimentOptions).toEqual({
        accountTargeting: 'single-account',
        emptyTargetResolutionMode: 'fail',
        ...(sent.experimentOptions as object | undefined),
      });
      expect(held.logConfiguration).toEqual(sent.logConfiguration);
      expect(held.experimentReportConfiguration).toEqual(sent.experimentReportConfiguration);
      expect(held.tags).toMatchObject({ ...(sent.tags as object | undefined), [EXPERIMENT_TAG]: name });

      // What the embedded provider makes of each: local-plan-fixtures.test.ts.
    },
  );
});
