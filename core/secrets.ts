import type { GetSecretValueCommandOutput, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { GetParameterCommandOutput, SSMClient } from '@aws-sdk/client-ssm';
import type { Diagnostic } from './diagnostics.ts';
import { ConfigError, EnvironmentError } from './errors.ts';
import type { Environment, SecretRef, Suite } from './schema.ts';

/**
 * Secrets of an environment: references in the config (`{ env }`, `{ ssm }`, `{ secretsManager, key? }`),
 * resolved at run time. Values never appear in the config, in errors or in diagnostics; AWS
 * credentials come only from the SDK's default credential chain.
 */

/** The client surface used here, so tests can hand in clients pointed at moto. */
export interface SecretClients {
  ssm?: Pick<SSMClient, 'send'>;
  secretsManager?: Pick<SecretsManagerClient, 'send'>;
  /** Where `{ env: NAME }` is read from. @defaultValue process.env */
  processEnv?: NodeJS.ProcessEnv;
}

/** Secret name → value. */
export type ResolvedSecrets = Readonly<Record<string, string>>;

const SECRET_REF = /\$\{secret:([^}]+)\}/g;

function describeRef(ref: SecretRef): string {
  if ('env' in ref) return `environment variable ${ref.env}`;
  if ('ssm' in ref) return `SSM parameter ${ref.ssm}`;
  return `Secrets Manager secret ${ref.secretsManager}${ref.key ? ` (key ${ref.key})` : ''}`;
}

function awsErrorName(error: unknown): string {
  return (error as { name?: string } | undefined)?.name ?? 'Error';
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'AccessDeniedException',
]);

async function resolveOne(
  name: string,
  ref: SecretRef,
  envName: string,
  clients: Required<Pick<SecretClients, 'processEnv'>> & {
    getParameter: (name: string) => Promise<GetParameterCommandOutput>;
    getSecretValue: (id: string) => Promise<GetSecretValueCommandOutput>;
  },
): Promise<string> {
  const where = `secret "${name}" of environment "${envName}"`;
  const missing = (why: string, cause?: unknown) =>
    new EnvironmentError('credentials', `${where} could not be resolved: ${why}`, {
      hint: `set ${describeRef(ref)} or fix environments.${envName}.secrets.${name}`,
      ...(cause === undefined ? {} : { cause }),
    });
  const awsFailure = (error: unknown) => {
    const kind = awsErrorName(error);
    return new EnvironmentError(
      CREDENTIAL_ERRORS.has(kind) ? 'credentials' : 'aws-api',
      `${where} could not be resolved: reading ${describeRef(ref)} failed (${kind})`,
      {
        hint: CREDENTIAL_ERRORS.has(kind)
          ? 'check the AWS credentials (profile, SSO session or role) and their permissions'
          : undefined,
        cause: error,
      },
    );
  };

  if ('env' in ref) {
    const value = clients.processEnv[ref.env];
    if (value === undefined || value === '') throw missing(`environment variable ${ref.env} is not set`);
    return value;
  }
  if ('ssm' in ref) {
    try {
      const out = await clients.getParameter(ref.ssm);
      const value = out.Parameter?.Value;
      if (value === undefined || value === '') throw missing(`SSM parameter ${ref.ssm} is empty`);
      return value;
    } catch (error) {
      if (error instanceof EnvironmentError) throw error;
      if (awsErrorName(error) === 'ParameterNotFound')
        throw missing(`SSM parameter ${ref.ssm} does not exist`, error);
      throw awsFailure(error);
    }
  }
  let secretString: string;
  try {
    const out = await clients.getSecretValue(ref.secretsManager);
    if (out.SecretString !== undefined) secretString = out.SecretString;
    else if (out.SecretBinary !== undefined) secretString = Buffer.from(out.SecretBinary).toString('utf8');
    else throw missing(`Secrets Manager secret ${ref.secretsManager} has no value`);
  } catch (error) {
    if (error instanceof EnvironmentError) throw error;
    if (awsErrorName(error) === 'ResourceNotFoundException')
      throw missing(`Secrets Manager secret ${ref.secretsManager} does not exist`, error);
    throw awsFailure(error);
  }
  if (ref.key === undefined) return secretString;
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    // Never quote the parse error: it would echo part of the secret.
    throw missing(
      `Secrets Manager secret ${ref.secretsManager} is not a JSON object, so key ${ref.key} cannot be read`,
    );
  }
  const value =
    parsed !== null && typeof parsed === 'object' && Object.hasOwn(parsed, ref.key)
      ? (parsed as Record<string, unknown>)[ref.key]
      : undefined;
  if (value === undefined || value === null || value === '')
    throw missing(`Secrets Manager secret ${ref.secretsManager} has no key ${ref.key}`);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Resolves every secret the environment declares. SSM and Secrets Manager clients are created on
 * first use (region from the environment, credentials from the default chain) unless given.
 * Throws an {@link EnvironmentError} (exit 3) naming the first secret that cannot be resolved.
 */
export async function resolveSecrets(
  env: Pick<Environment, 'secrets' | 'region'> & { name: string },
  clients: SecretClients = {},
): Promise<ResolvedSecrets> {
  const entries = Object.entries(env.secrets ?? {});
  if (entries.length === 0) return {};
  let ssm = clients.ssm;
  let secretsManager = clients.secretsManager;
  const region = env.region ? { region: env.region } : {};
  // The SDK is loaded only when a secret lives in AWS: config validation imports this file too.
  const lazy = {
    processEnv: clients.processEnv ?? process.env,
    async getParameter(name: string) {
      const sdk = await import('@aws-sdk/client-ssm');
      ssm ??= new sdk.SSMClient(region);
      return ssm.send(new sdk.GetParameterCommand({ Name: name, WithDecryption: true }));
    },
    async getSecretValue(id: string) {
      const sdk = await import('@aws-sdk/client-secrets-manager');
      secretsManager ??= new sdk.SecretsManagerClient(region);
      return secretsManager.send(new sdk.GetSecretValueCommand({ SecretId: id }));
    },
  };
  const out: Record<string, string> = {};
  for (const [name, ref] of entries) out[name] = await resolveOne(name, ref, env.name, lazy);
  return out;
}

/** `text` with every `${secret:NAME}` replaced by its value; an unknown name is a config error. */
export function expandSecretRefs(text: string, resolved: ResolvedSecrets): string {
  return text.replace(SECRET_REF, (_match, name: string) => {
    const value = resolved[name];
    if (value === undefined)
      throw new ConfigError(`unknown secret "${name}"; declare it under the environment's secrets`, []);
    return value;
  });
}

/** The environment's headers with secret references expanded. */
export function expandHeaders(
  headers: Readonly<Record<string, string>> | undefined,
  resolved: ResolvedSecrets,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) out[key] = expandSecretRefs(value, resolved);
  return out;
}

const AWS_KEY_ID = /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/;
const CREDENTIAL_SCHEME = /^\s*(Bearer|Basic|Token|Digest)\s+(?!\$\{secret:)\S/i;
const CREDENTIAL_HEADERS = /^(authorization|proxy-authorization|cookie|x-api-key|x-amz-security-token)$/i;

/**
 * Credentials written in clear into the config: a header value that is a literal credential (not a
 * `${secret:NAME}` reference), an AWS access key id anywhere in headers or a target, or a password
 * in a target URL. Each is an error telling the user to use a secret reference.
 */
export function validateNoLiteralCredentials(suite: Pick<Suite, 'environments'>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const useRef = (what: string) =>
    `${what} is written in clear in the config; declare it under secrets ({ env }, { ssm } or { secretsManager }) and reference it as \${secret:NAME}`;
  for (const [name, env] of Object.entries(suite.environments)) {
    const at = `environments.${name}`;
    try {
      const url = new URL(env.target);
      if (url.password || url.username)
        out.push({
          path: `${at}.target`,
          severity: 'error',
          message: useRef('a user name or password in the target URL'),
        });
    } catch {
      // The schema reports an invalid URL.
    }
    if (AWS_KEY_ID.test(env.target))
      out.push({ path: `${at}.target`, severity: 'error', message: useRef('an AWS access key id') });
    for (const [header, value] of Object.entries(env.headers ?? {})) {
      const path = `${at}.headers.${header}`;
      if (AWS_KEY_ID.test(value))
        out.push({ path, severity: 'error', message: useRef('an AWS access key id') });
      else if (
        CREDENTIAL_SCHEME.test(value) ||
        (CREDENTIAL_HEADERS.test(header) && !value.includes('${secret:'))
      )
        out.push({ path, severity: 'error', message: useRef(`the ${header} credential`) });
    }
  }
  return out;
}
