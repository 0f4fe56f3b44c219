import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { glob } from 'tinyglobby';
import { z } from 'zod';
import { parseDuration } from '../core/duration.ts';
import { describeError, UsageError } from '../core/errors.ts';
import type { LoadedSuite } from '../core/load-config.ts';
import {
  CANARY_NAME_RULE,
  type CanaryDefinition,
  type CanaryType,
  isCanaryDefinition,
} from './define-canary.ts';

/** A canary found in a file. */
export interface LoadedCanary {
  definition: CanaryDefinition;
  /** Absolute path of its file. */
  file: string;
}

/** A canary file that could not be used: it becomes a failed canary result, never a crash. */
export interface CanaryLoadFailure {
  /** The canary's name when known, else the file's name without `.canary.ts`. */
  name: string;
  type?: CanaryType;
  file: string;
  error: string;
}

export interface LoadedCanaries {
  canaries: LoadedCanary[];
  failures: CanaryLoadFailure[];
}

export interface LoadCanariesOptions {
  /** Only these canaries (by name); an unknown name is a usage error. */
  names?: readonly string[];
  /** Files or globs relative to `cwd`, used instead of the config's `canaries.files`. */
  files?: readonly string[];
  /** @defaultValue process.cwd() */
  cwd?: string;
}

const durationString = z
  .string()
  .refine((s) => parseDuration(s) !== undefined, 'expected a duration like 30s');

/** What `defineCanary` options must hold at run time (the TypeScript types do not reach plain JS files). */
const canaryOptionsSchema = z.object({
  // One name rule, AWS's (define-canary.ts): a name that runs here also deploys.
  name: z.string().regex(CANARY_NAME_RULE.pattern, `expected ${CANARY_NAME_RULE.text}`),
  type: z.enum(['browser', 'api']),
  schedule: z.string().optional(),
  retries: z.number().int().min(0).max(2).optional(),
  timeout: durationString.optional(),
  stepTimeout: durationString.optional(),
  tags: z.record(z.string(), z.string()).optional(),
  memoryMb: z.number().int().min(960).max(3008).multipleOf(64).optional(),
  runtimeVersion: z
    .string()
    .regex(/^syn-nodejs-playwright-\d+\.\d+$/, 'expected a Synthetics Playwright runtime')
    .optional(),
  target: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "expected the name of one of the environment's targets")
    .optional(),
});

function fileLabel(file: string): string {
  return basename(file)
    .replace(/\.canary\.[cm]?[jt]s$/, '')
    .replace(/\.[cm]?[jt]s$/, '');
}

/** Expands files and globs (relative to `base`) into absolute paths, sorted, without duplicates. */
async function resolveCanaryFiles(patterns: readonly string[], base: string): Promise<string[]> {
  const files = new Set<string>();
  for (const pattern of patterns) {
    const literal = resolve(base, pattern);
    if (existsSync(literal)) {
      files.add(literal);
      continue;
    }
    const matches = await glob(pattern, { cwd: base, absolute: true, onlyFiles: true });
    if (matches.length === 0 && !/[*?[{]/.test(pattern)) {
      throw new UsageError(`canary file not found: ${literal}`);
    }
    for (const match of matches.sort()) files.add(resolve(match));
  }
  return [...files];
}

/** Imports one canary file; every problem is returned as a failure naming the file. */
export async function loadCanaryFile(file: string): Promise<LoadedCanary | CanaryLoadFailure> {
  const name = fileLabel(file);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    return { name, file, error: `could not load ${file}: ${describeError(error).split('\n')[0]}` };
  }
  const value = mod.default;
  if (!isCanaryDefinition(value)) {
    return {
      name,
      file,
      error: `${file} has no canary as its default export (expected export default defineCanary({...}, async (...) => {...}))`,
    };
  }
  const parsed = canaryOptionsSchema.safeParse(value.options);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || 'options'}: ${i.message}`)
      .join('; ');
    const named = typeof value.options?.name === 'string' && value.options.name ? value.options.name : name;
    return { name: named, file, error: `canary "${named}" in ${file} has invalid options: ${problems}` };
  }
  return { definition: value, file };
}

/**
 * Finds the canaries of a run: the given `files` (relative to cwd) or the config's `canaries.files`
 * (relative to the config), imported one by one. A file that throws on import, exports no canary,
 * has invalid options or reuses another canary's name becomes a failure entry; `names` selects.
 */
export async function loadCanaries(
  loaded: LoadedSuite,
  options: LoadCanariesOptions = {},
): Promise<LoadedCanaries> {
  const files = options.files?.length
    ? await resolveCanaryFiles(options.files, options.cwd ?? process.cwd())
    : await resolveCanaryFiles(loaded.suite.canaries.files, loaded.dir);
  const canaries: LoadedCanary[] = [];
  const failures: CanaryLoadFailure[] = [];
  const byName = new Map<string, string>();
  for (const file of files) {
    const result = await loadCanaryFile(file);
    if (!('definition' in result)) {
      failures.push(result);
      continue;
    }
    const { name, type } = result.definition.options;
    const first = byName.get(name);
    if (first) {
      failures.push({
        name,
        type,
        file,
        error: `duplicate canary name "${name}": defined in ${first} and in ${file}`,
      });
      continue;
    }
    byName.set(name, file);
    canaries.push(result);
  }
  if (!options.names?.length) return { canaries, failures };
  const known = [...canaries.map((c) => c.definition.options.name), ...failures.map((f) => f.name)];
  const unknown = options.names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown canary ${unknown.map((n) => `"${n}"`).join(', ')}; expected one of ${known.map((k) => `"${k}"`).join(', ') || '(none found)'}`,
    );
  }
  return {
    canaries: canaries.filter((c) => options.names?.includes(c.definition.options.name)),
    failures: failures.filter((f) => options.names?.includes(f.name)),
  };
}
