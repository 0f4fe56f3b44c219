import { describe, expect, test } from 'vitest';
import { ConfigError, EnvironmentError } from './errors.ts';
import { expandHeaders, expandSecretRefs, resolveSecrets, validateNoLiteralCredentials } from './secrets.ts';
import { validateSuite } from './validate-suite.ts';

describe('resolveSecrets from environment variables', () => {
  test('resolves every declared secret', async () => {
    const resolved = await resolveSecrets(
      { name: 'staging', secrets: { API: { env: 'MY_API_TOKEN' }, OTHER: { env: 'OTHER_ONE' } } },
      { processEnv: { MY_API_TOKEN: 'tok-1234', OTHER_ONE: 'two-2222' } },
    );
    expect(resolved).toEqual({ API: 'tok-1234', OTHER: 'two-2222' });
  });

  test('no secrets, no clients needed', async () => {
    expect(await resolveSecrets({ name: 'local' })).toEqual({});
  });

  test.each([
    ['unset', {}],
    ['empty', { MY_API_TOKEN: '' }],
  ])('a missing variable (%s) is an environment error naming the secret', async (_name, processEnv) => {
    const error = await resolveSecrets(
      { name: 'prod', secrets: { API: { env: 'MY_API_TOKEN' } } },
      { processEnv },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).exitCode).toBe(3);
    expect((error as EnvironmentError).message).toBe(
      'secret "API" of environment "prod" could not be resolved: environment variable MY_API_TOKEN is not set',
    );
  });
});

describe('expandSecretRefs', () => {
  const resolved = { TOKEN: 'tok-1234', USER: 'me' };
  test.each([
    ['Bearer ${secret:TOKEN}', 'Bearer tok-1234'],
    ['${secret:USER}:${secret:TOKEN}', 'me:tok-1234'],
    ['no refs', 'no refs'],
    ['${secret:', '${secret:'],
  ])('%s', (input, expected) => {
    expect(expandSecretRefs(input, resolved)).toBe(expected);
  });

  test('an unknown name is a config error that does not print values', () => {
    expect(() => expandSecretRefs('x ${secret:NOPE}', resolved)).toThrow(ConfigError);
    expect(() => expandSecretRefs('x ${secret:NOPE}', resolved)).toThrow(/unknown secret "NOPE"/);
  });

  test('expandHeaders expands every header', () => {
    expect(expandHeaders({ Authorization: 'Bearer ${secret:TOKEN}', Accept: '*/*' }, resolved)).toEqual({
      Authorization: 'Bearer tok-1234',
      Accept: '*/*',
    });
  });
});

describe('validateNoLiteralCredentials', () => {
  const env = (extra: Record<string, unknown>) => ({
    service: 'svc',
    environments: { prod: { target: 'https://api.example.com', ...extra } },
  });
  test.each([
    [
      'password in the target',
      { target: 'https://admin:hunter22@api.example.com' },
      'environments.prod.target',
    ],
    ['user in the target', { target: 'https://admin@api.example.com' }, 'environments.prod.target'],
    [
      'literal bearer token',
      { headers: { Authorization: 'Bearer abc.def.ghi' } },
      'environments.prod.headers.Authorization',
    ],
    [
      'literal basic token in another header',
      { headers: { 'X-Auth': 'Basic dXNlcjpwYXNz' } },
      'environments.prod.headers.X-Auth',
    ],
    ['literal api key', { headers: { 'x-api-key': 'k-123456' } }, 'environments.prod.headers.x-api-key'],
    [
      'AWS key id in a header',
      { headers: { 'X-Key-Id': 'AKIAIOSFODNN7EXAMPLE' } },
      'environments.prod.headers.X-Key-Id',
    ],
    [
      'AWS key id in the target',
      { target: 'https://h.example.com/?k=AKIAIOSFODNN7EXAMPLE' },
      'environments.prod.target',
    ],
  ])('%s is an error telling the user to use a secret ref', (_name, extra, path) => {
    const { suite, diagnostics } = validateSuite(env(extra));
    expect(suite).toBeUndefined();
    const found = diagnostics.find((d) => d.path === path);
    expect(found?.severity).toBe('error');
    expect(found?.message).toContain('${secret:NAME}');
  });

  test.each([
    ['secret reference', { secrets: { T: { env: 'T' } }, headers: { Authorization: 'Bearer ${secret:T}' } }],
    ['plain header', { headers: { Accept: 'application/json' } }],
    ['plain target', {}],
  ])('%s passes', (_name, extra) => {
    const { diagnostics } = validateSuite(env(extra));
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(
      validateNoLiteralCredentials({
        environments: { prod: { target: 'https://api.example.com', ...extra } },
      } as unknown as Parameters<typeof validateNoLiteralCredentials>[0]),
    ).toEqual([]);
  });

  test('the diagnostic never quotes the credential', () => {
    const { diagnostics } = validateSuite(env({ headers: { Authorization: 'Bearer abc.def.ghi' } }));
    expect(JSON.stringify(diagnostics)).not.toContain('abc.def.ghi');
  });
});
