import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { type Diagnostic, formatDiagnostics, hasErrors } from './diagnostics.ts';
import { ConfigError, describeError } from './errors.ts';
import type { Environment, Suite } from './schema.ts';
import { validateSuite } from './validate-suite.ts';

export const CONFIG_FILE_NAMES = [
  'opsproof.config.ts',
  'opsproof.config.mts',
  'opsproof.config.js',
  'opsproof.config.mjs',
  'opsproof.config.json',
  'opsproof.config.yaml',
];

export interface LoadedSuite {
  suite: Suite;
  /** Absolute path of the config file. */
  file: string;
  /** Its folder: relative paths in the config resolve from here. */
  dir: string;
  warnings: string[];
}

/** Finds the config: `explicit` if given, else the first known file name in `cwd`. */
export function findConfigFile(cwd: string, explicit?: string): string {
  if (explicit) {
    const file = resolve(cwd, explicit);
    if (!existsSync(file)) throw new ConfigError(`config file not found: ${file}`, [], { file });
    return file;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const file = resolve(cwd, name);
    if (existsSync(file)) return file;
  }
  throw new ConfigError(`no opsproof config in ${cwd}`, [], {
    hint: `write one for your service with opsproof init --url URL (or --openapi FILE), create ${CONFIG_FILE_NAMES[0]} (export default defineSuite({...})), or pass --config FILE`,
  });
}

/** Reads a config module or data file and returns its raw (unvalidated) value. */
export async function loadConfigValue(file: string): Promise<unknown> {
  const ext = extname(file);
  try {
    if (ext === '.json') return JSON.parse(await readFile(file, 'utf8'));
    if (ext === '.yaml' || ext === '.yml') return parseYaml(await readFile(file, 'utf8'));
    // Cache-bust so watch mode and tests see edits.
    const mod = (await import(`${pathToFileURL(file).href}?t=${Date.now()}`)) as { default?: unknown };
    if (mod.default === undefined) {
      throw new ConfigError(`${file} has no default export`, [], {
        file,
        hint: 'export default defineSuite({...})',
      });
    }
    return mod.default;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`could not load ${file}: ${describeError(error)}`, [], { file, cause: error });
  }
}

/**
 * More problems a caller finds once the schema holds: what a run would meet only part-way (an FIS
 * action id, a canary file), checked by code above core (runner/validate-run.ts).
 */
export type SuiteCheck = (loaded: LoadedSuite) => Promise<Diagnostic[]>;

/**
 * Loads and validates the suite, then runs `check` on it when the schema holds; throws one
 * {@link ConfigError} carrying every problem of both.
 */
export async function loadSuite(
  options: { cwd?: string; config?: string; check?: SuiteCheck } = {},
): Promise<LoadedSuite> {
  const file = findConfigFile(options.cwd ?? process.cwd(), options.config);
  const value = await loadConfigValue(file);
  const { parsed, diagnostics } = validateSuite(value);
  const loaded = parsed ? { suite: parsed, file, dir: dirname(file), warnings: [] } : undefined;
  return applySuiteCheck(loaded, diagnostics, options.check, file);
}

/**
 * The loaded suite with the warnings of validation and `check`, or a {@link ConfigError} listing
 * every problem (`loaded` is undefined when the schema failed: nothing to check then).
 */
export async function applySuiteCheck(
  loaded: LoadedSuite | undefined,
  diagnostics: readonly Diagnostic[],
  check: SuiteCheck | undefined,
  file: string,
): Promise<LoadedSuite> {
  const all = [...diagnostics, ...(loaded && check ? await check(loaded) : [])];
  if (!loaded || hasErrors(all)) {
    const errors = all.filter((d) => d.severity === 'error');
    throw new ConfigError(
      `${file}: ${errors.length} problem${errors.length === 1 ? '' : 's'}\n${formatDiagnostics(all)}`,
      all,
      { file },
    );
  }
  return {
    ...loaded,
    warnings: [
      ...loaded.warnings,
      ...all.filter((d) => d.severity === 'warning').map((d) => `${d.path}: ${d.message}`),
    ],
  };
}

export interface ResolvedEnvironment extends Environment {
  name: string;
}

/** The named environment, or a config error listing the ones that exist. */
export function resolveEnvironment(suite: Suite, name: string): ResolvedEnvironment {
  const env = suite.environments[name];
  if (!env) {
    const known = Object.keys(suite.environments);
    throw new ConfigError(
      `unknown environment "${name}"; expected one of ${known.map((k) => `"${k}"`).join(', ')}`,
      [{ path: 'environments', severity: 'error', message: `no environment named "${name}"` }],
    );
  }
  return { ...env, name };
}
