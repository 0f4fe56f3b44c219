import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EnvironmentError } from '../core/errors.ts';
import { resolveSecrets } from '../core/secrets.ts';
import { requireTool } from '../core/tools.ts';
import { type MotoServer, startMotoServer } from '../telemetry/aws/start-moto-server.ts';

// SSM and Secrets Manager references resolved against the real moto server. The clients resolveSecrets
// creates get their endpoint and (dummy) credentials from the environment, as the SDK's default chain
// does in production: nothing comes from the config.
const moto = requireTool('moto_server');
const AWS_VARS = ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'] as const;

describe.skipIf(moto.skip)('resolveSecrets against moto', () => {
  let server: MotoServer;
  const saved: Partial<Record<(typeof AWS_VARS)[number], string | undefined>> = {};
  const env = { name: 'staging', region: 'eu-west-1' };

  beforeAll(async () => {
    server = await startMotoServer(moto.path!);
    for (const key of AWS_VARS) saved[key] = process.env[key];
    process.env.AWS_ENDPOINT_URL = server.endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'testing';
    process.env.AWS_SECRET_ACCESS_KEY = 'testing';
    process.env.AWS_REGION = 'eu-west-1';
    const config = { region: 'eu-west-1', endpoint: server.endpoint };
    const ssm = new SSMClient(config);
    await ssm.send(
      new PutParameterCommand({
        Name: '/opsproof/api-token',
        Value: 'ssm-s3cret-value',
        Type: 'SecureString',
      }),
    );
    await ssm.send(
      new PutParameterCommand({ Name: '/opsproof/plain', Value: 'plain-value', Type: 'String' }),
    );
    const sm = new SecretsManagerClient(config);
    await sm.send(
      new CreateSecretCommand({
        Name: 'opsproof/creds',
        SecretString: JSON.stringify({ username: 'svc', password: 'sm-pa55word', port: 5432 }),
      }),
    );
    await sm.send(new CreateSecretCommand({ Name: 'opsproof/raw', SecretString: 'raw-secret-string' }));
  }, 60_000);

  afterAll(async () => {
    for (const key of AWS_VARS) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await server?.close();
  });

  test('SSM SecureString (decrypted), String, Secrets Manager string and JSON keys', async () => {
    const resolved = await resolveSecrets({
      ...env,
      secrets: {
        TOKEN: { ssm: '/opsproof/api-token' },
        PLAIN: { ssm: '/opsproof/plain' },
        RAW: { secretsManager: 'opsproof/raw' },
        PASSWORD: { secretsManager: 'opsproof/creds', key: 'password' },
        PORT: { secretsManager: 'opsproof/creds', key: 'port' },
      },
    });
    expect(resolved).toEqual({
      TOKEN: 'ssm-s3cret-value',
      PLAIN: 'plain-value',
      RAW: 'raw-secret-string',
      PASSWORD: 'sm-pa55word',
      PORT: '5432',
    });
  });

  test.each([
    [
      'missing SSM parameter',
      { ssm: '/opsproof/nope' },
      'secret "X" of environment "staging" could not be resolved: SSM parameter /opsproof/nope does not exist',
    ],
    [
      'missing secret',
      { secretsManager: 'opsproof/nope' },
      'secret "X" of environment "staging" could not be resolved: Secrets Manager secret opsproof/nope does not exist',
    ],
    [
      'missing JSON key',
      { secretsManager: 'opsproof/creds', key: 'token' },
      'secret "X" of environment "staging" could not be resolved: Secrets Manager secret opsproof/creds has no key token',
    ],
    [
      'key of a non-JSON secret',
      { secretsManager: 'opsproof/raw', key: 'token' },
      'secret "X" of environment "staging" could not be resolved: Secrets Manager secret opsproof/raw is not a JSON object, so key token cannot be read',
    ],
  ])('%s: exit 3, one sentence naming the secret, no value', async (_name, ref, message) => {
    const error = await resolveSecrets({ ...env, secrets: { X: ref } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).exitCode).toBe(3);
    expect((error as EnvironmentError).message).toBe(message);
    expect((error as EnvironmentError).message).not.toMatch(/raw-secret-string|sm-pa55word/);
  });
});
