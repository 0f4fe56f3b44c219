import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { EnvironmentError, UsageError } from '../core/errors.ts';
import type { LoadedSuite, ResolvedEnvironment } from '../core/load-config.ts';
import type { LoadSummary } from '../core/run-result.ts';
import { validateSuite } from '../core/validate-suite.ts';
import type { Reporter } from '../reports/reporter.ts';
import type { Telemetry } from '../telemetry/port.ts';
import { createRunId, executeRun, selectStages } from './run.ts';
import { type Stage, StageInterruptedError, type StartedTarget } from './stage.ts';

function loadedSuite(): { loaded: LoadedSuite; env: ResolvedEnvironment } {
  const { suite } = validateSuite({
    service: 'svc',
    environments: { local: { target: 'http://127.0.0.1:9' } },
  });
  return {
    loaded: { suite: suite!, file: '/x/opsproof.config.ts', dir: '/x', warnings: [] },
    env: { ...suite!.environments.local!, name: 'local' },
  };
}

const outDir = () => mkdtempSync(join(tmpdir(), 'opsproof-run-'));

const inert: Telemetry = {
  provider: 'embedded',
  putMetricData: async () => {},
  getAlarmState: async () => undefined,
  getAlarmHistory: async () => [],
  findTraces: async () => [],
  findLogs: async () => [],
  close: async () => {},
};

function stage(name: Stage['name'], run: Stage['run']): Stage {
  return { name, run };
}

describe('executeRun', () => {
  test('merges outcomes, records stages and events, and hands the result to the reporter', async () => {
    const { loaded, env } = loadedSuite();
    const events: string[] = [];
    let ended: unknown;
    const reporter: Reporter = {
      name: 'spy',
      onEvent: (r) =>
        events.push(r.type === 'stage.start' || r.type === 'stage.end' ? `${r.type}:${r.stage}` : r.type),
      onEnd: (result) => {
        ended = result;
        return {
          written: ['report.png'],
          artifacts: [{ name: 'shot', path: 'report.png', kind: 'screenshot' }],
        };
      },
    };
    const result = await executeRun({
      command: 'gate',
      loaded,
      env,
      outDir: outDir(),
      signal: new AbortController().signal,
      reporter,
      stages: [
        stage('preflight', async () => ({
          checks: [
            {
              id: 'a',
              kind: 'health',
              name: 'a',
              status: 'passed',
              measured: 200,
              threshold: '2xx',
              message: '',
            },
          ],
        })),
        stage('load', async () => ({
          checks: [
            {
              id: 'b',
              kind: 'kpi',
              name: 'b',
              status: 'failed',
              measured: 1200,
              threshold: 'p(99)<1000',
              message: '',
            },
          ],
        })),
        stage('chaos', async () => ({ skipped: 'no experiments' })),
      ],
    });
    expect(result.status).toBe('failed');
    expect(result.checks.map((c) => [c.id, c.stage])).toEqual([
      ['a', 'preflight'],
      ['b', 'load'],
    ]);
    expect(result.stages.map((s) => [s.name, s.status])).toEqual([
      ['preflight', 'passed'],
      ['load', 'failed'],
      ['chaos', 'skipped'],
    ]);
    expect(events).toEqual([
      'run.start',
      'progress', // the fault gateway in front of env.target
      'stage.start:preflight',
      'check',
      'stage.end:preflight',
      'stage.start:load',
      'check',
      'stage.end:load',
      'stage.start:chaos',
      'stage.end:chaos',
      'run.end',
    ]);
    // The reporter got the run's result; what it added (an artifact) is in the result returned.
    expect(ended).toEqual({ ...result, artifacts: [] });
    expect(result.artifacts).toEqual([{ name: 'shot', path: 'report.png', kind: 'screenshot' }]);
    expect(result.timeline.at(-1)?.type).toBe('run.end');
  });

  test('a throwing stage errors the run, skips the rest, and clean-up still runs', async () => {
    const { loaded, env } = loadedSuite();
    let laterRan = false;
    const result = await executeRun({
      command: 'gate',
      loaded,
      env,
      outDir: outDir(),
      signal: new AbortController().signal,
      stages: [
        stage('preflight', async () => {
          throw new EnvironmentError('target-unreachable', 'target is down.');
        }),
        stage('load', async () => {
          laterRan = true;
          return {};
        }),
      ],
    });
    expect(result.status).toBe('error');
    expect(result.error).toBe('target is down.');
    expect(laterRan).toBe(false);
    expect(result.stages.map((s) => [s.name, s.status])).toEqual([
      ['preflight', 'error'],
      ['load', 'skipped'],
    ]);
  });

  test('an abort mid-stage ends the run as interrupted', async () => {
    const { loaded, env } = loadedSuite();
    const controller = new AbortController();
    const result = await executeRun({
      command: 'gate',
      loaded,
      env,
      outDir: outDir(),
      signal: controller.signal,
      stages: [
        stage('load', async ({ signal }) => {
          controller.abort(new Error('SIGINT'));
          throw signal.reason;
        }),
        stage('chaos', async () => ({})),
      ],
    });
    expect(result.status).toBe('interrupted');
    expect(result.stages.map((s) => s.status)).toEqual(['skipped', 'skipped']);
  });

  test('a stage interrupted part-way keeps what it measured; the run is still interrupted', async () => {
    const { loaded, env } = loadedSuite();
    const controller = new AbortController();
    const partial = { requests: 472, durationMs: 4737, interrupted: true } as LoadSummary;
    const result = await executeRun({
      command: 'load run',
      loaded,
      env,
      outDir: outDir(),
      signal: controller.signal,
      stages: [
        stage('load', async () => {
          controller.abort(new Error('SIGINT'));
          throw new StageInterruptedError(controller.signal.reason, { load: partial, checks: [] });
        }),
      ],
    });
    expect(result.status).toBe('interrupted');
    expect(result.load).toEqual(partial);
    expect(result.stages[0]).toMatchObject({
      status: 'skipped',
      message: 'interrupted; what it measured until then is kept',
    });
    expect(result.error).toBe('SIGINT');
  });

  test.each([
    { provider: 'embedded', faultGateway: undefined, fronted: true },
    { provider: 'embedded', faultGateway: false, fronted: false },
    { provider: 'aws', faultGateway: undefined, fronted: false },
  ] as const)(
    'without demo or start nothing is started; the embedded provider fronts env.target with the gateway: %o',
    async ({ provider, faultGateway, fronted }) => {
      const { loaded, env } = loadedSuite();
      const seen: (StartedTarget | undefined)[] = [];
      let targetUrl = '';
      const result = await executeRun({
        command: 'gate',
        loaded,
        env: { ...env, provider },
        outDir: outDir(),
        signal: new AbortController().signal,
        // The aws provider would reach for AWS; the gateway is all this test is about.
        telemetry: inert,
        ...(faultGateway === undefined ? {} : { faultGateway }),
        stages: [
          stage('preflight', async (context) => {
            seen.push(context.target);
            targetUrl = context.targetUrl;
            return {};
          }),
        ],
      });
      if (fronted) {
        // Stages hit the gateway; it forwards to env.target; nothing can be killed.
        expect(seen[0]).toMatchObject({ directUrl: 'http://127.0.0.1:9', controlUrl: expect.any(String) });
        expect(seen[0]?.process).toBeUndefined();
        expect(targetUrl).toBe(seen[0]?.url);
        expect(targetUrl).not.toBe('http://127.0.0.1:9');
      } else {
        expect(seen).toEqual([undefined]);
        expect(targetUrl).toBe('http://127.0.0.1:9');
      }
      // Reports name the service's own URL either way.
      expect(result.target).toBe('http://127.0.0.1:9');
    },
  );
});

describe('selectStages', () => {
  const stages = ['preflight', 'canaries', 'load', 'chaos'].map((name) =>
    stage(name as Stage['name'], async () => ({})),
  );
  test.each([
    [{}, ['preflight', 'canaries', 'load', 'chaos']],
    [{ only: ['load'] }, ['load']],
    [{ skip: ['chaos', 'canaries'] }, ['preflight', 'load']],
    [{ only: ['preflight', 'load'], skip: ['load'] }, ['preflight']],
  ])('%o', (selection, names) => {
    expect(selectStages(stages, selection).map((s) => s.name)).toEqual(names);
  });

  test('an unknown stage is a usage error naming the known ones', () => {
    expect(() => selectStages(stages, { only: ['lod'] })).toThrow(UsageError);
    expect(() => selectStages(stages, { skip: ['lod'] })).toThrow(/expected one of "preflight", "canaries"/);
  });
});

test('run ids sort by time and are unique', () => {
  const a = createRunId(new Date('2026-01-01T00:00:00Z'));
  expect(a).toMatch(/^20260101T000000Z-[0-9a-f]{4}$/);
  expect(createRunId(new Date('2026-01-01T00:00:01Z')) > a).toBe(true);
});
