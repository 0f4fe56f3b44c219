import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const bin = fileURLToPath(new URL('../bin/opsproof.js', import.meta.url));

function check(cwd: string, args: string[] = []): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, 'check', ...args], { cwd, timeout: 30_000 }, (error, _stdout, stderr) =>
      done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stderr }),
    );
  });
}

const errorsExperiment = (actionId: string) => ({
  targets: {
    Functions: { resourceType: 'aws:lambda:function', resourceTags: { s: 'x' }, selectionMode: 'ALL' },
  },
  actions: {
    fault: {
      actionId,
      parameters: { duration: 'PT2S', invocationPercentage: '50', preventExecution: 'true' },
      targets: { Functions: 'Functions' },
    },
  },
  localPath: '/api/*',
  // Only opsproof's own requests pass the gateway its faults go to: without a load they match none.
  load: 'background',
  expect: [{ kind: 'alarm-fires', alarm: 'HighErrorRate', within: '10s', after: 'fault.start' }],
});
const alarm = {
  AlarmName: 'HighErrorRate',
  Namespace: 'AWS/ApiGateway',
  MetricName: '5XXError',
  Dimensions: [{ Name: 'ApiName', Value: 'svc' }],
  Statistic: 'Average',
  Period: 60,
  EvaluationPeriods: 1,
  Threshold: 0.05,
  ComparisonOperator: 'GreaterThanThreshold',
};
const alarmTests = (name: string) =>
  `alarms:\n  - ${JSON.stringify(alarm)}\ntests:\n  - name: fires\n    interval: 1m\n    series:\n      - metric: { Namespace: AWS/ApiGateway, MetricName: 5XXError, Dimensions: { ApiName: svc } }\n        values: "1 1"\n    expect:\n      - { at: 1m, alarm: ${name}, state: ALARM }\n`;

function suiteFolder(options: {
  target: string;
  actionId: string;
  canary: string;
  alarmTestName: string;
}): string {
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-check-'));
  mkdirSync(join(dir, 'canaries'));
  mkdirSync(join(dir, 'alarms'));
  writeFileSync(join(dir, 'canaries/home.canary.ts'), options.canary);
  writeFileSync(join(dir, 'alarms/svc.alarms.yaml'), alarmTests(options.alarmTestName));
  writeFileSync(
    join(dir, 'opsproof.config.json'),
    JSON.stringify({
      service: 'svc',
      environments: { local: { target: options.target } },
      canaries: { files: ['canaries/*.canary.ts'] },
      alarms: [alarm],
      load: { profiles: { background: { rate: 5, duration: '1m' } } },
      experiments: { errors: errorsExperiment(options.actionId) },
      drills: {
        dr: {
          kind: 'dr',
          experiment: 'errors',
          rto: '30s',
          detectWithin: '10s',
          detectBy: { canary: 'home' },
        },
      },
    }),
  );
  return dir;
}

const goodCanary = `import { defineCanary } from 'opsproof';
export default defineCanary({ name: 'home', type: 'api' }, async ({ http, step, baseUrl }) => {
  await step('home', async () => { await http.get(baseUrl + '/'); });
});
`;

test('a valid suite passes without a single connection to its target', async () => {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const dir = suiteFolder({
      target: `http://127.0.0.1:${port}`,
      actionId: 'aws:lambda:invocation-error',
      canary: goodCanary,
      alarmTestName: 'HighErrorRate',
    });
    const { code, stderr } = await check(dir);
    expect(stderr).toContain('1 experiment(s), 1 alarm(s), 1 drill(s), 1 alarm test file(s)');
    expect(stderr.trimEnd().endsWith('ok')).toBe(true);
    expect(code).toBe(0);
    expect(connections).toBe(0);
  } finally {
    server.close();
  }
}, 40_000);

test('every problem at once, each with its path: canary file, experiment action, drill detector, alarm test', async () => {
  const dir = suiteFolder({
    target: 'http://127.0.0.1:9',
    actionId: 'aws:lambda:invocation-explode',
    canary: "import { defineCanary } from 'opsproof';\nexport const notDefault = 1;\n",
    alarmTestName: 'NoSuchAlarm',
  });
  const { code, stderr } = await check(dir);
  expect(code).toBe(2);
  expect(stderr).toMatch(/✖ experiments\.errors\.actions\.fault\.actionId: .*aws:lambda:invocation-explode/);
  expect(stderr).toMatch(/✖ canaries\.files: .*home\.canary\.ts/);
  expect(stderr).toMatch(/✖ drills\.dr\.detectBy\.canary: unknown canary "home"/);
  expect(stderr).toMatch(/✖ .*alarms\/svc\.alarms\.yaml: tests\[0\].*unknown alarm "NoSuchAlarm"/);
  expect(stderr).toMatch(/\d+ errors: fix them before a run/);
}, 40_000);

test('an unknown --env is an error; a config that does not parse exits 2', async () => {
  const dir = suiteFolder({
    target: 'http://127.0.0.1:9',
    actionId: 'aws:lambda:invocation-error',
    canary: goodCanary,
    alarmTestName: 'HighErrorRate',
  });
  const unknownEnv = await check(dir, ['--env', 'prod']);
  expect(unknownEnv.code).toBe(2);
  expect(unknownEnv.stderr).toContain('✖ environments: no environment named "prod"; the config has local');
  writeFileSync(join(dir, 'opsproof.config.json'), '{ "service": ');
  const broken = await check(dir);
  expect(broken.code).toBe(2);
  expect(broken.stderr).toContain('could not load');
}, 40_000);

test('an alarm test file whose alarm differs from the config alarm of that name is a warning naming the difference', async () => {
  const dir = suiteFolder({
    target: 'http://127.0.0.1:9',
    actionId: 'aws:lambda:invocation-error',
    canary: goodCanary,
    alarmTestName: 'HighErrorRate',
  });
  const file = join(dir, 'alarms/svc.alarms.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('"Threshold":0.05', '"Threshold":0.5'));
  const { code, stderr } = await check(dir);
  expect(stderr).toContain(
    "⚠ alarms/svc.alarms.yaml: alarms.HighErrorRate: differs from the config's alarm of that name (Threshold: 0.05 in the config, 0.5 here), so its tests prove another alarm",
  );
  expect(code).toBe(0);
}, 40_000);
