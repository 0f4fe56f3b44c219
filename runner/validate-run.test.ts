import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { type LoadedSuite, loadSuite } from '../core/load-config.ts';
import { validateSuite } from '../core/validate-suite.ts';
import {
  checkRun,
  type RunScope,
  runScopeOfGate,
  validateProcessTargets,
  validateRun,
} from './validate-run.ts';

let dir: string;

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'opsproof-validate-run-')));
  writeFileSync(
    join(dir, 'good.canary.ts'),
    "import { defineCanary } from 'opsproof';\nexport default defineCanary({ name: 'good', type: 'api' }, async ({ step }) => { await step('s', async () => {}); });\n",
  );
  writeFileSync(join(dir, 'broken.canary.ts'), 'throw new Error("boom at import");\n');
});

const fn = { resourceType: 'aws:lambda:function', selectionMode: 'ALL' };

function loadedWith(input: Record<string, unknown>): LoadedSuite {
  const { suite, diagnostics } = validateSuite({
    service: 'svc',
    environments: {
      local: { target: 'http://127.0.0.1:1' },
      cloud: { target: 'http://127.0.0.1:1', provider: 'aws', region: 'eu-west-1' },
    },
    ...input,
  });
  if (!suite) throw new Error(JSON.stringify(diagnostics));
  return { suite, file: join(dir, 'opsproof.config.ts'), dir, warnings: [] };
}

const experiments = {
  typo: {
    actions: { a: { actionId: 'aws:fis:wiat', parameters: { duration: 'PT1S' } } },
  },
  redirect: {
    targets: { fns: fn },
    actions: {
      a: {
        actionId: 'aws:lambda:invocation-http-integration-response',
        parameters: {
          duration: 'PT1S',
          statusCode: '302',
          contentTypeHeader: 'text/plain',
          preventExecution: 'true',
        },
        targets: { Functions: 'fns' },
      },
    },
  },
  unknownAlarm: {
    actions: {
      a: {
        actionId: 'aws:cloudwatch:assert-alarm-state',
        parameters: { alarmArns: 'Nope', alarmStates: 'OK' },
      },
    },
  },
  fine: { actions: { a: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1S' } } } },
};

type Row = [string, string, RunScope, string[]];

describe('validateRun', () => {
  test.each<Row>([
    [
      'every experiment used, embedded: the catalog and the local mapping',
      'local',
      { experiments: 'all' },
      [
        'error experiments.typo.actions.a.actionId',
        'error experiments.redirect.actions.a.parameters.statusCode',
        'error experiments.unknownAlarm.actions.a.parameters.alarmArns',
      ],
    ],
    [
      'on aws the local mapping is not asked for',
      'cloud',
      { experiments: 'all' },
      ['error experiments.typo.actions.a.actionId'],
    ],
    [
      'one experiment used: the others warn',
      'local',
      { experiments: ['redirect'] },
      [
        'warning experiments.typo.actions.a.actionId',
        'error experiments.redirect.actions.a.parameters.statusCode',
        'warning experiments.unknownAlarm.actions.a.parameters.alarmArns',
      ],
    ],
    [
      'a drill uses its experiment and its canary detector',
      'local',
      { drills: ['outage'] },
      [
        'error experiments.typo.actions.a.actionId',
        'warning experiments.redirect.actions.a.parameters.statusCode',
        'warning experiments.unknownAlarm.actions.a.parameters.alarmArns',
        'warning canaries.files',
        'error drills.outage.detectBy.canary',
      ],
    ],
    [
      'canaries used: the broken file is an error, the unused drill warns',
      'cloud',
      { canaries: {} },
      [
        'warning experiments.typo.actions.a.actionId',
        'error canaries.files',
        'warning drills.outage.detectBy.canary',
      ],
    ],
    [
      'canaries chosen by name: the broken file of another canary warns',
      'cloud',
      { canaries: { names: ['good'] } },
      [
        'warning experiments.typo.actions.a.actionId',
        'warning canaries.files',
        'warning drills.outage.detectBy.canary',
      ],
    ],
    [
      'canary files from --file',
      'cloud',
      { canaries: { files: ['good.canary.ts', 'missing.canary.ts'], cwd: '' } },
      ['warning experiments.typo.actions.a.actionId', 'error --file'],
    ],
  ])('%s', async (_, envName, scope, expected) => {
    const loaded = loadedWith({
      experiments,
      canaries: { files: ['*.canary.ts'] },
      drills: { outage: { kind: 'dr', rto: '1m', experiment: 'typo', detectBy: { canary: 'checkout' } } },
    });
    const provider = loaded.suite.environments[envName]!.provider;
    const withCwd = scope.canaries?.cwd === '' ? { canaries: { ...scope.canaries, cwd: dir } } : {};
    const diagnostics = await validateRun({ loaded, provider, scope: { ...scope, ...withCwd } });
    expect(diagnostics.map((d) => `${d.severity} ${d.path}`)).toEqual(expected);
    for (const d of diagnostics.filter((d) => d.severity === 'warning'))
      expect(d.message).toMatch(/\(not used by this run\)$/);
  });

  test('the messages say what is wrong and what would do', async () => {
    const loaded = loadedWith({ experiments, canaries: { files: ['*.canary.ts'] } });
    const scope = runScopeOfGate({ only: ['chaos,canaries'] });
    const messages = (await validateRun({ loaded, provider: 'embedded', scope })).map((d) => d.message);
    expect(messages).toEqual([
      'unknown FIS action "aws:fis:wiat"; did you mean "aws:fis:wait"?',
      'locally only 4xx and 5xx statuses can be injected, got 302',
      'alarm "Nope" is not among the suite\'s alarms, so the embedded provider cannot read its state',
      expect.stringMatching(/^could not load .*broken\.canary\.ts: boom at import$/),
    ]);
  });
});

test.each([
  [{}, { experiments: 'all', canaries: {} }],
  [{ only: ['preflight', 'load', 'assertions'] }, {}],
  [{ only: ['preflight,chaos'] }, { experiments: 'all' }],
  [{ skip: ['chaos', 'canaries'] }, { canaries: {} }],
  [{ skip: ['chaos,canaries,canaries-after'] }, {}],
  [{ only: ['canaries-after'] }, { canaries: {} }],
])('runScopeOfGate(%o) = %o', (selection, scope) => {
  expect(runScopeOfGate(selection)).toEqual(scope);
});

describe("loadSuite with checkRun: the config's problems and the run's, in one ConfigError", () => {
  const write = (body: string) => {
    const file = join(dir, `opsproof.${Math.random().toString(36).slice(2)}.config.json`);
    writeFileSync(file, body);
    return file;
  };
  const suite = (extra: Record<string, unknown>) =>
    JSON.stringify({
      service: 'svc',
      environments: { local: { target: 'http://127.0.0.1:1' } },
      experiments: { typo: experiments.typo, fine: experiments.fine },
      ...extra,
    });

  test('a dangling reference and a mistyped action id: both listed, exit 2', async () => {
    const config = write(suite({ expectations: [{ kind: 'alarm-fires', alarm: 'Nope', within: '1m' }] }));
    const error = await loadSuite({ config, check: checkRun({ experiments: 'all' }, 'local') }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    expect((error as ConfigError).diagnostics.map((d) => `${d.severity} ${d.path}`)).toEqual([
      'error expectations[0].alarm',
      'warning canaries.files',
      'error experiments.typo.actions.a.actionId',
    ]);
    expect((error as ConfigError).message).toMatch(/: 2 problems\n/);
  });

  test('a problem outside the run is a warning the loaded suite carries', async () => {
    const config = write(suite({}));
    const loaded = await loadSuite({ config, check: checkRun({ experiments: ['fine'] }, 'local') });
    expect(loaded.warnings).toEqual([
      'canaries.files: no canary files: the canary stage will have nothing to run',
      expect.stringMatching(
        /^experiments\.typo\.actions\.a\.actionId: unknown FIS action .*\(not used by this run\)$/,
      ),
    ]);
  });

  test('a schema error stops before the check: nothing to check', async () => {
    let checked = false;
    const config = write(JSON.stringify({ service: 'svc', environments: { local: { target: 5 } } }));
    const error = await loadSuite({
      config,
      check: async () => {
        checked = true;
        return [];
      },
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(checked).toBe(false);
  });
});

describe('math and composite suite alarms are checked before the run', () => {
  const metric = (AlarmName: string) => ({
    AlarmName,
    Namespace: 'N',
    MetricName: AlarmName,
    Statistic: 'Sum',
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanThreshold',
  });
  const math = (Metrics: unknown[]) => ({
    AlarmName: 'Rate',
    Metrics,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanThreshold',
  });
  const stat = (Id: string, Period = 60) => ({
    Id,
    MetricStat: { Metric: { Namespace: 'N', MetricName: Id }, Period, Stat: 'Sum' },
    ReturnData: false,
  });

  test.each([
    [
      'a valid math alarm and composite',
      [metric('A'), math([stat('e'), { Id: 'r', Expression: 'e * 2' }])],
      [],
    ],
    [
      'a composite naming an alarm the suite lacks',
      [metric('A'), { AlarmName: 'Down', AlarmRule: 'ALARM(A) OR ALARM(Missing)' }],
      ['alarms.1.AlarmRule: unknown alarm "Missing"; alarms defines "A", "Down"'],
    ],
    [
      'a composite naming itself',
      [{ AlarmName: 'Down', AlarmRule: 'ALARM(Down)' }],
      ['alarms.0.AlarmRule: Down names itself'],
    ],
    [
      'an AlarmRule that does not parse',
      [metric('A'), { AlarmName: 'Down', AlarmRule: 'ALARM(A) OR' }],
      [expect.stringMatching(/^alarms\.1\.AlarmRule: cannot parse AlarmRule "ALARM\(A\) OR"/)],
    ],
    [
      'an expression naming an unknown query',
      [math([stat('e'), { Id: 'r', Expression: 'e / q' }])],
      [expect.stringMatching(/^alarms\.0\.Metrics: .*\bq\b/)],
    ],
    [
      'a function refused offline',
      [math([{ Id: 'r', Expression: 'ANOMALY_DETECTION_BAND(e)' }, stat('e')])],
      [expect.stringMatching(/^alarms\.0\.Metrics: .*ANOMALY_DETECTION_BAND/)],
    ],
  ])('%s', async (_name, alarms, problems) => {
    const found = await validateRun({ loaded: loadedWith({ alarms }), provider: 'embedded', scope: {} });
    expect(found.map((d) => `${d.path}: ${d.message}`)).toEqual(problems);
    expect(found.every((d) => d.severity === 'error')).toBe(true);
  });

  test('on aws, what CloudWatch can do is a warning: an unknown child (infra or the account may deploy it) and a function refused offline; a broken rule stays an error', async () => {
    const alarms = [
      math([{ Id: 'r', Expression: 'ANOMALY_DETECTION_BAND(e)' }, stat('e')]),
      { AlarmName: 'Down', AlarmRule: 'ALARM(Rate) OR ALARM("Canary-demo-home-Success")' },
      { AlarmName: 'Broken', AlarmRule: 'ALARM(Rate) AND' },
    ];
    const found = await validateRun({ loaded: loadedWith({ alarms }), provider: 'aws', scope: {} });
    expect(found.map((d) => [d.path, d.severity])).toEqual([
      ['alarms.0.Metrics', 'warning'],
      ['alarms.1.AlarmRule', 'warning'],
      ['alarms.2.AlarmRule', 'error'],
    ]);
  });
});

describe('validateProcessTargets: a process fault needs a process opsproof starts', () => {
  const cluster = {
    resourceType: 'aws:rds:cluster',
    resourceTags: { app: 'orders' },
    selectionMode: 'ALL',
  };
  const start = { command: ['node', 'db.js'] };
  const failover = (target: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
    targets: { db: { ...cluster, ...target } },
    actions: { failover: { actionId: 'aws:rds:failover-db-cluster', targets: { Clusters: 'db' }, ...extra } },
  });
  test.each<[string, Record<string, unknown>, Record<string, unknown>, string[]]>([
    [
      'a single target opsproof does not start',
      { target: 'http://127.0.0.1:1' },
      failover(),
      [
        'experiments.x.actions.failover.actionId: aws:rds:failover-db-cluster would kill the target of environments.local, which opsproof does not start (no start or demo): there is no process to kill',
      ],
    ],
    ['a single target opsproof starts', { target: 'http://127.0.0.1:0', start }, failover(), []],
    [
      'a named target without start',
      { targets: { api: 'http://127.0.0.1:1', db: { readyTcp: '127.0.0.1:5432' } } },
      failover({ localTarget: 'db' }),
      [
        'experiments.x.targets.db.localTarget: aws:rds:failover-db-cluster would kill target "db", which opsproof does not start (environments.local.targets.db has no start): there is no process to kill',
      ],
    ],
    [
      'a named target opsproof starts',
      { targets: { api: 'http://127.0.0.1:1', db: { readyTcp: '127.0.0.1:5432', start } } },
      failover({ localTarget: 'db' }),
      [],
    ],
    [
      'the default target (the first with a url) without start',
      { targets: { db: { readyTcp: '127.0.0.1:5432', start }, api: 'http://127.0.0.1:1' } },
      failover(),
      [
        'experiments.x.actions.failover.actionId: aws:rds:failover-db-cluster would kill target "api", which opsproof does not start (environments.local.targets.api has no start): there is no process to kill',
      ],
    ],
    [
      'a stand-in pausing a target without start',
      { targets: { api: { url: 'http://127.0.0.1:0', start }, cache: { readyTcp: '127.0.0.1:6379' } } },
      failover({}, { local: { process: 'pause', target: 'cache' } }),
      [
        'experiments.x.actions.failover.local.target: aws:rds:failover-db-cluster would pause target "cache", which opsproof does not start (environments.local.targets.cache has no start): there is no process to pause',
      ],
    ],
    [
      // Reported as an unknown name by validateTargetNames, not twice.
      'an unknown name',
      { targets: { api: 'http://127.0.0.1:1' } },
      failover({ localTarget: 'database' }),
      [],
    ],
  ])('%s', (_what, local, experiment, expected) => {
    const { suite } = loadedWith({ environments: { local }, experiments: { x: experiment } });
    const found = validateProcessTargets(suite, 'x', suite.experiments.x!, 'local');
    expect(found.map((d) => `${d.path}: ${d.message}`)).toEqual(expected);
    expect(found.every((d) => d.severity === 'error')).toBe(true);
  });

  test('only embedded environments: FIS acts on the real resources', () => {
    const { suite } = loadedWith({ experiments: { x: failover() } });
    expect(validateProcessTargets(suite, 'x', suite.experiments.x!, 'cloud')).toEqual([]);
    expect(validateProcessTargets(suite, 'x', suite.experiments.x!, undefined)).toHaveLength(1);
  });
});

test('a dry run leaves the refused actions of the experiments it runs to the command, which lists them with the plan', async () => {
  const stress = {
    targets: { tasks: { resourceType: 'aws:ecs:task', resourceTags: { a: 'b' }, selectionMode: 'ALL' } },
    actions: {
      cpu: {
        actionId: 'aws:ecs:task-cpu-stress',
        parameters: { duration: 'PT1M' },
        targets: { Tasks: 'tasks' },
      },
    },
  };
  const loaded = loadedWith({ experiments: { stress, other: stress } });
  const refusals = async (dryRun: boolean) =>
    (await validateRun({ loaded, provider: 'embedded', scope: { experiments: ['stress'] }, dryRun }))
      .filter((d) => d.path.endsWith('.cpu.actionId'))
      .map((d) => `${d.severity} ${d.path}`);
  expect(await refusals(false)).toEqual([
    'error experiments.stress.actions.cpu.actionId',
    'warning experiments.other.actions.cpu.actionId',
  ]);
  // An experiment the dry run does not use keeps its warning.
  expect(await refusals(true)).toEqual(['warning experiments.other.actions.cpu.actionId']);
});

test('gateway faults with no load to match: an error of the gate and chaos run on the embedded provider only', async () => {
  const errors = {
    targets: { fns: fn },
    actions: {
      fail: {
        actionId: 'aws:lambda:invocation-error',
        parameters: { duration: 'PT1S', invocationPercentage: '50', preventExecution: 'true' },
        targets: { Functions: 'fns' },
      },
    },
  };
  const loaded = loadedWith({ experiments: { errors } });
  const found = async (input: Partial<Parameters<typeof validateRun>[0]>) =>
    (await validateRun({ loaded, provider: 'embedded', scope: runScopeOfGate({}), ...input }))
      .filter((d) => d.path.endsWith('.load'))
      .map((d) => `${d.severity} ${d.path}`);
  expect(await found({})).toEqual(['error experiments.errors.load']);
  expect(await found({ scope: runScopeOfGate({ skip: ['chaos'] }) })).toEqual([]);
  expect(await found({ provider: 'aws' })).toEqual([]);
  expect(await found({ dryRun: true })).toEqual([]);
  expect(await found({ scope: { experiments: ['errors'] }, gatewayControl: true })).toEqual([]);
});
