import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import JSZip from 'jszip';
import { ConfigError } from '../core/errors.ts';
import type { LoadedSuite } from '../core/load-config.ts';
import type { Environment, SecretRef } from '../core/schema.ts';
import { loadCanaries } from './load-canaries.ts';

/**
 * The Synthetics runtime the zips target. `syn-nodejs-playwright-5.1` moved the runtime module to
 * `@aws/synthetics-playwright` (earlier versions only have `@amzn/synthetics-playwright`), so 5.1 is
 * the oldest version our bundles run on; 6.0 is the newest documented one (Node.js 22).
 */
const SYNTHETICS_RUNTIME_VERSION = 'syn-nodejs-playwright-6.0';
export const SUPPORTED_RUNTIME_VERSIONS = ['syn-nodejs-playwright-5.1', 'syn-nodejs-playwright-6.0'] as const;
/** The runtime's module, provided by its Lambda layer: kept out of the bundle. */
const SYNTHETICS_MODULE = '@aws/synthetics-playwright';
/** The handler: `index.mjs` (ES module) at the zip's root, exporting `handler`. */
export const SYNTHETICS_HANDLER = 'index.handler';

/** Never bundled: the runtime provides the browser automation (and the zip must hold no Playwright). */
const EXTERNAL = [
  SYNTHETICS_MODULE,
  '@amzn/synthetics-playwright',
  'playwright',
  'playwright-core',
  '@playwright/test',
];

const defineCanaryFile = fileURLToPath(new URL('./define-canary.ts', import.meta.url));
const handlerFile = fileURLToPath(new URL('./synthetics-handler.ts', import.meta.url));
const secretsFile = fileURLToPath(new URL('../core/secrets.ts', import.meta.url));

/** What the deployed canary reads at run time: the stack grants read on exactly these. */
export interface CanarySecretRefs {
  /** SSM parameter names (or ARNs). */
  ssm: string[];
  /** Secrets Manager secret names (or ARNs). */
  secretsManager: string[];
}

/** The environment a package targets: its headers and the secrets they reference. */
export type PackageEnvironment = Pick<Environment, 'headers' | 'secrets' | 'region'> & { name: string };

export interface PackagedCanary {
  name: string;
  /** Absolute path of the zip. */
  zipPath: string;
  handler: string;
  runtimeVersion: string;
  schedule: string;
  type: 'browser' | 'api';
  /** Size of the zip in bytes. */
  bytes: number;
  /** Retries, timeout, memory and tags: the canary's own, else the suite's. */
  retries: number;
  timeout: string;
  memoryMb?: number;
  tags: Record<string, string>;
  /** The environment's named target it runs against (`defineCanary({ target })`); none: the default. */
  target?: string;
}

export interface PackageCanariesOptions {
  loaded: LoadedSuite;
  /** Folder for the zips (created). */
  outDir: string;
  names?: readonly string[];
  files?: readonly string[];
  /** Target baked into the bundle; the canary's `OPSPROOF_BASE_URL` environment variable overrides it. */
  baseUrl?: string;
  env?: string;
  /**
   * The environment whose headers every request and page carries; the secrets those headers
   * reference are read from Secrets Manager / SSM when the canary runs (never packaged).
   */
  environment?: PackageEnvironment;
  /** Minify the bundles. @defaultValue true */
  minify?: boolean;
}

const SECRET_NAME = /\$\{secret:([^}]+)\}/g;

/**
 * The secrets the environment's headers reference, checked for AWS: an `{ env }` reference has no
 * value in AWS (a Lambda environment variable would put it into the template), so it is refused.
 */
export function headerSecrets(environment: PackageEnvironment): Record<string, SecretRef> {
  const used: Record<string, SecretRef> = {};
  const problems: string[] = [];
  for (const [header, value] of Object.entries(environment.headers ?? {})) {
    for (const [, name] of value.matchAll(SECRET_NAME)) {
      const ref = name === undefined ? undefined : environment.secrets?.[name];
      if (!name || !ref) problems.push(`header ${header}: unknown secret "${name}"`);
      else if ('env' in ref)
        problems.push(
          `header ${header}: secret "${name}" is an environment variable, which a deployed canary cannot read; use { ssm } or { secretsManager }`,
        );
      else used[name] = ref;
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(
      `cannot package canaries for environment ${environment.name}:\n${problems.map((p) => `  ${p}`).join('\n')}`,
      problems.map((message) => ({
        path: `environments.${environment.name}.headers`,
        severity: 'error' as const,
        message,
      })),
    );
  }
  return used;
}

/** The Secrets Manager secrets and SSM parameters behind the references, for IAM. */
export function secretRefsOf(refs: Record<string, SecretRef>): CanarySecretRefs {
  const out: CanarySecretRefs = { ssm: [], secretsManager: [] };
  for (const ref of Object.values(refs)) {
    if ('ssm' in ref && !out.ssm.includes(ref.ssm)) out.ssm.push(ref.ssm);
    if ('secretsManager' in ref && !out.secretsManager.includes(ref.secretsManager))
      out.secretsManager.push(ref.secretsManager);
  }
  return out;
}

/** `opsproof` inside a bundle is only `defineCanary`: nothing of the CLI, config or Playwright. */
const opsproofShim: Plugin = {
  name: 'opsproof-shim',
  setup(b) {
    b.onResolve({ filter: /^opsproof$/ }, () => ({ path: defineCanaryFile }));
  },
};

/** The bundle of one canary: an ES module exporting `handler`, with the runtime module external. */
async function buildSyntheticsBundle(
  file: string,
  options: {
    baseUrl?: string;
    env?: string;
    stepTimeout?: string;
    minify?: boolean;
    environment?: PackageEnvironment;
    /** Bundle the Secrets Manager / SSM reader (the SDK clients, ~0.6 MB). */
    readsSecrets?: boolean;
  } = {},
): Promise<string> {
  const environment = options.environment;
  const secrets = environment ? headerSecrets(environment) : {};
  const handlerOptions = JSON.stringify({
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.stepTimeout ? { stepTimeout: options.stepTimeout } : {}),
    ...(environment?.headers ? { headers: environment.headers } : {}),
    ...(Object.keys(secrets).length > 0 ? { secrets, region: environment?.region } : {}),
  });
  // References only (names, ARNs): the AWS SDK clients are bundled only when some secret is read.
  const reader = options.readsSecrets
    ? [
        `import { resolveSecrets } from ${JSON.stringify(secretsFile)};`,
        'handlerOptions.resolveSecrets = resolveSecrets;',
      ]
    : [];
  const entry = [
    `import { synthetics } from ${JSON.stringify(SYNTHETICS_MODULE)};`,
    `import canary from ${JSON.stringify(file)};`,
    `import { createSyntheticsHandler } from ${JSON.stringify(handlerFile)};`,
    `const handlerOptions = ${handlerOptions};`,
    ...reader,
    'export const handler = createSyntheticsHandler(canary, synthetics, handlerOptions);',
  ].join('\n');
  const result = await build({
    stdin: { contents: entry, resolveDir: resolve(file, '..'), sourcefile: 'index.mjs', loader: 'ts' },
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: EXTERNAL,
    plugins: [opsproofShim],
    minify: options.minify ?? true,
    legalComments: 'none',
    logLevel: 'silent',
    // Bundled CommonJS dependencies may call require(); give the ES module one.
    banner: {
      js: "import { createRequire as __opsproofRequire } from 'node:module';\nconst require = __opsproofRequire(import.meta.url);",
    },
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced no output for ${file}`);
  return output.text;
}

/**
 * One zip per canary for CloudWatch Synthetics' Playwright runtime: `index.mjs` at the root (handler
 * `index.handler`), our step API adapted onto `synthetics.executeStep`, `@aws/synthetics-playwright`
 * external, no browser and no Playwright inside. The infra stacks deploy these.
 */
export async function packageCanaries(options: PackageCanariesOptions): Promise<PackagedCanary[]> {
  const { canaries, failures } = await loadCanaries(options.loaded, {
    ...(options.names ? { names: options.names } : {}),
    ...(options.files ? { files: options.files } : {}),
  });
  if (failures.length > 0) {
    throw new ConfigError(
      `cannot package canaries:\n${failures.map((f) => `  ${f.name}: ${f.error}`).join('\n')}`,
      failures.map((f) => ({ path: `canaries.${f.name}`, severity: 'error' as const, message: f.error })),
    );
  }
  const outDir = resolve(options.outDir);
  await mkdir(outDir, { recursive: true });
  const packaged: PackagedCanary[] = [];
  const suiteCanaries = options.loaded.suite.canaries;
  // One zip serves every environment (infra passes each one's headers and references as variables):
  // it carries the secret reader when any environment's headers need a secret.
  const environments = Object.entries(options.loaded.suite.environments).map(([name, env]) => ({
    ...env,
    name,
  }));
  const readsSecrets = [...environments, ...(options.environment ? [options.environment] : [])].some((e) =>
    /\$\{secret:/.test(Object.values(e.headers ?? {}).join('\n')),
  );
  for (const { definition, file } of canaries) {
    const code = await buildSyntheticsBundle(file, {
      ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
      ...(options.env ? { env: options.env } : {}),
      stepTimeout: definition.options.stepTimeout ?? options.loaded.suite.canaries.stepTimeout,
      minify: options.minify ?? true,
      ...(options.environment ? { environment: options.environment } : {}),
      readsSecrets,
    });
    const zip = new JSZip();
    // A fixed date keeps zips byte-identical across builds, so CDK asset hashes only change with code.
    zip.file('index.mjs', code, { date: new Date('2020-01-01T00:00:00Z') });
    const bytes = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', platform: 'UNIX' });
    const zipPath = join(outDir, `${definition.options.name}.zip`);
    await writeFile(zipPath, bytes);
    packaged.push({
      name: definition.options.name,
      zipPath,
      handler: SYNTHETICS_HANDLER,
      runtimeVersion: definition.options.runtimeVersion ?? SYNTHETICS_RUNTIME_VERSION,
      schedule: definition.options.schedule ?? suiteCanaries.schedule,
      type: definition.options.type,
      bytes: bytes.length,
      retries: definition.options.retries ?? suiteCanaries.retries,
      timeout: definition.options.timeout ?? suiteCanaries.timeout,
      ...(definition.options.memoryMb ? { memoryMb: definition.options.memoryMb } : {}),
      tags: { ...definition.options.tags },
      ...(definition.options.target ? { target: definition.options.target } : {}),
    });
  }
  return packaged;
}
