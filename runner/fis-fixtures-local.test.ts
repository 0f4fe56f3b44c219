import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { planLocalExperiment } from '../chaos/build-local-plan.ts';
import { loadFisTemplate } from '../chaos/load-fis-template.ts';
import type { LoadedSuite, ResolvedEnvironment } from '../core/load-config.ts';
import type { AlarmDefinitionInput, Experiment, SuiteInput } from '../core/schema.ts';
import { validateSuite } from '../core/validate-suite.ts';
import { EmbeddedTelemetry } from '../telemetry/embedded/embedded-telemetry.ts';
import { findFreePort } from './local-target.ts';
import { executeRun } from './run.ts';
import { createChaosStage } from './stages/chaos-stage.ts';

// Issue 22's acceptance, run for real: every template written from AWS's FIS documentation (one per
// service family, chaos/fixtures/fis-templates/) runs on the local engine — each action by its own
// local effect, or by a stand-in where it has none — against started processes: the service `api`
// behind the fault gateway (gateway faults, process faults of the default target) and a database
// `db` (process stand-ins). Durations are cut to half a second so 13 experiments fit in a test; the
// plan's mapping of the real durations is checked in chaos/local-plan-fixtures.test.ts.

const fixtureDir = fileURLToPath(new URL('../chaos/fixtures/fis-templates/', import.meta.url));
const tinyTarget = fileURLToPath(new URL('../reliability/fixtures/tiny-target.cjs', import.meta.url));
const tinyDb = fileURLToPath(new URL('../reliability/fixtures/tiny-db.cjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'opsproof-fis-fixtures-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in of each kind, in turn: a fault SPEC, a process fault on the database, a command and its undo. */
function standIn(i: number): NonNullable<Experiment['actions'][string]['local']> {
  const undoFile = join(dir, `undo-${i}`);
  return [
    { fault: 'latency:ms=5' },
    { process: 'restart' as const, target: 'db' },
    {
      run: [process.execPath, '-e', '0'],
      undo: [process.execPath, '-e', `require('fs').writeFileSync('${undoFile}', 'undone')`],
    },
  ][i % 3]!;
}

/** Every ISO-8601 duration parameter cut to half a second (FIS takes them as `PT…`). */
function shortened(experiment: Experiment): Experiment {
  const actions = Object.fromEntries(
    Object.entries(experiment.actions).map(([name, action]) => [
      name,
      {
        ...action,
        parameters: Object.fromEntries(
          Object.entries(action.parameters).map(([key, value]) => [
            key,
            /^PT[\d.]+[HMS]/.test(value) ? 'PT0.5S' : value,
          ]),
        ),
      },
    ]),
  );
  // The templates' stop-condition alarms watch AWS metrics nothing feeds here; each is defined
  // locally (OK), so a stop condition is watched and never fires.
  return { ...experiment, actions, load: 'steady' };
}

/** An alarm named as the templates name theirs, on a metric nothing records: it stays OK. */
function quietAlarm(name: string): AlarmDefinitionInput {
  return {
    AlarmName: name,
    Namespace: 'Fixtures',
    MetricName: name,
    Statistic: 'Sum',
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'notBreaching',
  };
}

test('every AWS-documented FIS template runs on the local engine, stand-ins where an action has no local effect', async () => {
  const files = readdirSync(fixtureDir).filter((f) => f.endsWith('.json'));
  expect(files.length).toBe(13);
  const experiments: Record<string, Experiment> = {};
  const standIns: Record<string, string[]> = {};
  for (const file of files) {
    const name = file.replace('.json', '');
    const experiment = shortened((await loadFisTemplate(join(fixtureDir, file), name)).experiment);
    const refused = planLocalExperiment(name, experiment, { defaultTarget: 'api' }).refused.map(
      (r) => r.action,
    );
    standIns[name] = refused;
    const actions = { ...experiment.actions };
    for (const [i, action] of refused.entries()) actions[action] = { ...actions[action]!, local: standIn(i) };
    experiments[name] = { ...experiment, actions };
  }
  const alarmNames = new Set<string>();
  for (const experiment of Object.values(experiments)) {
    for (const condition of experiment.stopConditions)
      if (condition.value) alarmNames.add(condition.value.split(':').pop()!);
    for (const action of Object.values(experiment.actions))
      for (const arn of (action.parameters.alarmArns ?? '').split(',').filter(Boolean))
        alarmNames.add(arn.split(':').pop()!);
  }

  const dbPort = await findFreePort();
  const input: SuiteInput = {
    service: 'fixtures',
    environments: {
      local: {
        // Alarm time 60× faster: the quiet alarms are evaluated (OK) within a second.
        timeScale: 60,
        targets: {
          api: {
            url: 'http://127.0.0.1:0',
            readyPath: '/health/ready',
            start: { command: [process.execPath, tinyTarget], readyTimeout: '15s' },
          },
          db: {
            readyTcp: `127.0.0.1:${dbPort}`,
            start: { command: [process.execPath, tinyDb], readyTimeout: '15s' },
          },
        },
      },
    },
    alarms: [...alarmNames].map(quietAlarm),
    // Bounded: 60 req/s for at most 30 s per experiment; the stage stops it when the experiment ends.
    // 60, not 30, so a half-second gateway fault still sees ~30 requests (a fault matching none fails).
    // A warm-up, so requests already flow when the first half-second fault starts (without it, a CI
    // run's load began after a fault at t=0 had ended, and that fault matched no request).
    load: {
      profiles: { steady: { rate: 60, duration: '30s', warmup: '500ms', requests: [{ path: '/orders' }] } },
    },
    experiments,
  };
  const { suite, diagnostics } = validateSuite(input);
  if (!suite) throw new Error(diagnostics.map((d) => `${d.path}: ${d.message}`).join('; '));
  const loaded: LoadedSuite = { suite, file: join(dir, 'opsproof.config.ts'), dir, warnings: [] };
  const env: ResolvedEnvironment = { ...suite.environments.local!, name: 'local' };
  // Zeros on each quiet alarm's metric until it is evaluated OK (a second of alarm time at 60×):
  // they start OK, as the templates' alarms would
  // in a healthy account (an assertion at the experiment's start reads them at once).
  const telemetry = new EmbeddedTelemetry({ alarms: suite.alarms, timeScale: 60 });
  const quietOk = async () =>
    (await Promise.all([...alarmNames].map((n) => telemetry.getAlarmState(n)))).every((st) => st === 'OK');
  for (const deadline = Date.now() + 10_000; Date.now() < deadline && !(await quietOk()); ) {
    await telemetry.putMetricData(
      'Fixtures',
      [...alarmNames].map((name) => ({ MetricName: name, Value: 0 })),
    );
    telemetry.evaluateAlarmsNow();
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(await quietOk()).toBe(true);
  const result = await executeRun({
    command: 'chaos',
    loaded,
    env,
    stages: [createChaosStage()],
    outDir: join(dir, 'run'),
    signal: new AbortController().signal,
    telemetry,
  });

  expect(result.error).toBeUndefined();
  const journals = Object.fromEntries((result.experiments ?? []).map((j) => [j.experiment, j]));
  expect(Object.keys(journals).sort()).toEqual(Object.keys(experiments).sort());
  for (const [name, journal] of Object.entries(journals)) {
    const failed = journal.activities.filter((a) => a.status !== 'succeeded');
    expect(
      { experiment: name, status: journal.status, failed: failed.map((a) => `${a.name}: ${a.error}`) },
      journal.error,
    ).toEqual({ experiment: name, status: 'completed', failed: [] });
    expect(journal.activities.map((a) => a.name).sort()).toEqual(
      Object.keys(experiments[name]!.actions).sort(),
    );
    // The refused actions ran their stand-ins, and the journal says so.
    expect(
      journal.activities
        .filter((a) => a.standIn)
        .map((a) => a.name)
        .sort(),
    ).toEqual([...standIns[name]!].sort());
  }
  // Each kind of stand-in did what it says: a fault the gateway applied, a database restart, an undo.
  const all = Object.values(journals).flatMap((j) => j.activities.filter((a) => a.standIn));
  expect(all.some((a) => (a.injectedRequests ?? 0) > 0)).toBe(true);
  expect(all.some((a) => a.process?.target === 'db' && a.process.readyAt !== undefined)).toBe(true);
  expect(all.some((a) => a.commands?.some((c) => c.role === 'undo' && c.exitCode === 0))).toBe(true);
  // Actions with a local meaning of their own reached the service: gateway faults and process faults.
  const own = Object.values(journals).flatMap((j) => j.activities.filter((a) => !a.standIn));
  expect(own.filter((a) => (a.matchedRequests ?? 0) > 0).length).toBeGreaterThan(10);
  expect(own.filter((a) => a.process?.target === 'api').length).toBeGreaterThan(5);
}, 300_000);
