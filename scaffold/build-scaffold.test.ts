import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadAlarmTestFile } from '../assertions/alarm-tests/load-alarm-tests.ts';
import { runAlarmTestFile } from '../assertions/alarm-tests/run-alarm-tests.ts';
import {
  buildAlarms,
  buildAlarmTests,
  buildScaffold,
  faultPathOf,
  formatTs,
  type ScaffoldInput,
} from './build-scaffold.ts';

test.each([
  [['/items'], '/items*'],
  [['/api/v3/pet/findByStatus', '/api/v3/store/inventory'], '/api/v3*'],
  [['/posts?x=1', '/posts/1'], '/posts*'],
  [['/a', '/b'], '/*'],
  [['/'], '/*'],
  [[], '/*'],
  [['/users/{id}', '/users/{id}/x'], '/users*'],
])('faultPathOf(%j) = %s', (paths, expected) => {
  expect(faultPathOf(paths)).toBe(expected);
});

test.each([
  ['text', "'text'"],
  ["it's", "'it\\'s'"],
  [[1, 'a'], "[1, 'a']"],
  [{ a: 1, 'b-c': true }, "{\n  a: 1,\n  'b-c': true,\n}"],
  [{ list: [{ x: 1 }] }, '{\n  list: [\n    {\n      x: 1,\n    },\n  ],\n}'],
  [{}, '{}'],
])('formatTs(%j)', (value, expected) => {
  expect(formatTs(value, 0)).toBe(expected);
});

const api: ScaffoldInput = {
  service: 'items',
  source: 'http://127.0.0.1:3000/items',
  target: 'http://127.0.0.1:3000',
  readyPath: '/items',
  pages: [],
  requests: [{ name: 'list', method: 'GET', path: '/items', okStatuses: [200] }],
};

describe('buildScaffold', () => {
  test.each([
    [
      'API only, no README',
      api,
      'OPSPROOF.md',
      [
        'opsproof.config.ts',
        'opsproof/canaries/api.canary.ts',
        'opsproof/alarms/service.alarms.yaml',
        'OPSPROOF.md',
      ],
    ],
    [
      'web page only, README appended',
      { ...api, requests: [], pages: [{ path: '/', title: 'Home' }] },
      'README.md',
      [
        'opsproof.config.ts',
        'opsproof/canaries/web.canary.ts',
        'opsproof/alarms/service.alarms.yaml',
        'README.md',
      ],
    ],
  ] as const)('%s', (_, input, readme, paths) => {
    const files = buildScaffold(input, readme);
    expect(files.map((f) => f.path)).toEqual(paths);
    expect(files.find((f) => f.path === readme)?.mode).toBe(readme === 'README.md' ? 'append' : 'create');
  });

  test('the config names the target, start command, load mix and the faults on the service paths', () => {
    const config = buildScaffold(
      { ...api, start: ['node', 'server.js', '--port', '{port}'], target: 'http://127.0.0.1:0' },
      'OPSPROOF.md',
    )[0]!.content;
    expect(config).toContain("import { defineSuite } from 'opsproof';");
    expect(config).toContain("command: ['node', 'server.js', '--port', '{port}']");
    expect(config).toContain("localPath: '/items*'");
    expect(config).toContain('expectStatus: 200');
    expect(config).toContain("alarm: 'HighErrorRate'");
    expect(config).toContain("alarm: 'HighLatencyP99'");
  });

  test.each([
    [undefined, false],
    [{ target: 'https://items.staging.example.com', region: 'us-east-1' }, true],
  ] as const)('--staging %o: an aws environment staging in the config and the README: %s', (staging, has) => {
    const files = buildScaffold({ ...api, ...(staging ? { staging } : {}) }, 'OPSPROOF.md');
    const config = files[0]!.content;
    const readme = files.find((f) => f.path === 'OPSPROOF.md')!.content;
    expect(config.includes("target: 'https://items.staging.example.com'")).toBe(has);
    expect(config.includes("provider: 'aws'")).toBe(has);
    expect(config.includes("region: 'us-east-1'")).toBe(has);
    expect(readme.includes('npx opsproof synth --env staging')).toBe(has);
  });

  test('a title with quotes and backticks stays a string in the browser canary', () => {
    const files = buildScaffold(
      { ...api, requests: [], pages: [{ path: '/`x`', title: "it's `${x}`" }] },
      'OPSPROOF.md',
    );
    const canary = files.find((f) => f.path.endsWith('web.canary.ts'))!.content;
    expect(canary).toContain("title.includes('it\\'s `${x}`')");
    expect(canary).toContain('${baseUrl}/\\`x\\`');
  });
});

test('the generated alarm tests pass against the generated alarms', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-scaffold-alarms-'));
  const file = join(dir, 'service.alarms.yaml');
  writeFileSync(file, buildAlarmTests('my-api'));
  const loaded = await loadAlarmTestFile(file);
  expect([...loaded.alarms.keys()]).toEqual(buildAlarms('my-api').map((a) => a.AlarmName));
  const results = runAlarmTestFile(loaded);
  expect(results.length).toBe(4);
  expect(results.filter((r) => !r.passed).map((r) => r.test)).toEqual([]);
});

test.each([
  ['http://127.0.0.1:3000', true],
  ['http://localhost:8080', true],
  ['http://[::1]:8080', true],
  ['https://api.example.com', false],
])('a target %s gets fault experiments: %s', (target, loopback) => {
  const config = buildScaffold({ ...api, target }, 'OPSPROOF.md')[0]!.content;
  expect(config.includes("actionId: 'aws:lambda:invocation-error'")).toBe(loopback);
  expect(config.includes("kind: 'alarm-stays-ok'")).toBe(loopback);
  expect(config).toContain("AlarmName: 'HighErrorRate'");
});
