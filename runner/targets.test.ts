import { describe, expect, test } from 'vitest';
import type { ResolvedEnvironment } from '../core/load-config.ts';
import { environmentSchema, suiteSchema } from '../core/schema.ts';
import type { StartedTarget } from './stage.ts';
import { listTargets, resolveStageTarget } from './targets.ts';
import { validateTargetNames } from './validate-run.ts';

const env = (input: unknown): ResolvedEnvironment => ({ ...environmentSchema.parse(input), name: 'local' });

describe('environment targets in the schema', () => {
  test.each([
    {
      what: 'one target URL keeps its shape',
      input: { target: 'http://127.0.0.1:3000', readyPath: '/health' },
      target: 'http://127.0.0.1:3000',
      targets: undefined,
    },
    {
      what: 'a bare URL becomes { url }; the first is the default',
      input: {
        targets: { web: 'http://127.0.0.1:3000', api: { url: 'http://127.0.0.1:4000', readyPath: '/ready' } },
      },
      target: 'http://127.0.0.1:3000',
      targets: {
        web: { url: 'http://127.0.0.1:3000' },
        api: { url: 'http://127.0.0.1:4000', readyPath: '/ready' },
      },
    },
    {
      what: 'a process without http first: the default is the first target with a url',
      input: {
        targets: {
          db: { readyTcp: '127.0.0.1:5432', start: { command: ['postgres'] } },
          api: 'http://127.0.0.1:4000',
        },
      },
      target: 'http://127.0.0.1:4000',
      targets: {
        db: {
          readyTcp: '127.0.0.1:5432',
          start: { command: ['postgres'], readyPath: '/health/ready', readyTimeout: '20s' },
        },
        api: { url: 'http://127.0.0.1:4000' },
      },
    },
  ])('$what', ({ input, target, targets }) => {
    const parsed = environmentSchema.parse(input);
    expect(parsed.target).toBe(target);
    expect(parsed.targets).toEqual(targets);
  });

  test.each([
    { what: 'neither target nor targets', input: {}, message: 'expected target (a URL) or targets' },
    {
      what: 'both',
      input: { target: 'http://a.test', targets: { a: 'http://a.test' } },
      message: 'with targets, set each url on the target it belongs to',
    },
    {
      what: 'readyPath beside targets',
      input: { readyPath: '/x', targets: { a: 'http://a.test' } },
      message: 'with targets, set readyPath on the target it belongs to',
    },
    {
      what: 'a target with neither url nor readyTcp',
      input: { targets: { a: { readyPath: '/x' } } },
      message: 'expected url (an http service) or readyTcp (a process such as a database)',
    },
    {
      what: 'no target with a url',
      input: { targets: { db: { readyTcp: 'localhost:5432' } } },
      message: 'expected at least one target with a url',
    },
    {
      what: 'a bad TCP address',
      input: { targets: { a: 'http://a.test', db: { readyTcp: '5432' } } },
      message: 'expected host:port',
    },
  ])('refused: $what', ({ input, message }) => {
    const parsed = environmentSchema.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.message).join('; ')).toContain(message);
  });
});

describe('listTargets and resolveStageTarget', () => {
  const gateway = (url: string): StartedTarget => ({ url, directUrl: 'http://direct', stop: async () => {} });

  test('the single form is one unnamed default target', () => {
    expect(listTargets(env({ target: 'http://a.test', readyPath: '/r' }))).toEqual([
      {
        name: undefined,
        url: 'http://a.test',
        readyPath: '/r',
        readyTcp: undefined,
        start: undefined,
        isDefault: true,
      },
    ]);
  });

  test.each([
    { name: undefined, url: 'http://gw-web', reached: 'web' },
    { name: 'web', url: 'http://gw-web', reached: 'web' },
    { name: 'api', url: 'http://gw-api', reached: 'api' },
  ])('target $name is reached at $url', ({ name, url, reached }) => {
    const context = {
      env: env({ targets: { web: 'http://web.test', api: 'http://api.test' } }),
      targetUrl: 'http://gw-web',
      target: gateway('http://gw-web'),
      targets: { api: { url: 'http://gw-api', target: gateway('http://gw-api') } },
    };
    const stageTarget = resolveStageTarget(context, name);
    expect([stageTarget.name, stageTarget.url]).toEqual([reached, url]);
  });
});

describe('validateTargetNames: a name the environment does not define is a config error', () => {
  const suite = suiteSchema.parse({
    service: 's',
    environments: {
      local: { targets: { web: 'http://127.0.0.1:3000', api: 'http://127.0.0.1:4000' } },
      staging: { target: 'https://staging.test' },
      withDb: { targets: { api: 'http://127.0.0.1:4000', db: { readyTcp: '127.0.0.1:5432' } } },
    },
    load: { profiles: { good: { target: 'api', rate: 1 }, bad: { target: 'apj', rate: 1 } } },
    experiments: {
      e: {
        localTarget: 'db',
        actions: { a: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1S' } } },
      },
    },
  });

  test.each([
    {
      what: 'profiles and experiments, against the environment that names its targets',
      env: 'local' as string | undefined,
      canaries: undefined,
      expected: [
        'load.profiles.bad.target: unknown target "apj"; environments.local.targets defines "web", "api"',
        'experiments.e.localTarget: unknown target "db"; environments.local.targets defines "web", "api"',
      ],
    },
    {
      what: 'canaries',
      env: 'local',
      canaries: {
        path: 'canaries.files',
        canaries: [
          { name: 'home', target: 'wbe' },
          { name: 'ok', target: undefined },
        ],
      },
      expected: [
        'canaries.files (canary home): unknown target "wbe"; environments.local.targets defines "web", "api"',
      ],
    },
    {
      what: 'an environment with one target ignores names',
      env: 'staging',
      canaries: undefined,
      expected: [],
    },
    {
      what: 'a canary naming a process without http',
      env: 'withDb',
      canaries: { path: 'canaries.files', canaries: [{ name: 'home', target: 'db' }] },
      expected: [
        'canaries.files (canary home): target "db" of environments.withDb has no url to send traffic to',
      ],
    },
  ])('$what', ({ env: envName, canaries, expected }) => {
    const found = validateTargetNames(suite, envName, canaries);
    expect(found.map((d) => `${d.path}: ${d.message}`)).toEqual(expected);
    expect(found.every((d) => d.severity === 'error')).toBe(true);
  });
});
