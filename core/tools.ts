import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from './errors.ts';

/** External tools opsproof drives. */
export type ToolName = 'chromium' | 'k6' | 'moto_server' | 'wrk';

/** Absolute path of the repository (the folder holding package.json). */
export const repoRoot: string = fileURLToPath(new URL('../', import.meta.url)).replace(/\/$/, '');

/** A path under the repository root. */
export function repoPath(...segments: string[]): string {
  return join(repoRoot, ...segments);
}

/** Environment variables that point straight at a tool, checked first. */
const TOOL_ENV_OVERRIDES: Record<ToolName, string | undefined> = {
  chromium: 'OPSPROOF_CHROMIUM',
  k6: 'OPSPROOF_K6',
  moto_server: 'OPSPROOF_MOTO',
  wrk: undefined,
};

/** Executable names searched for each tool, in order. */
const EXECUTABLES: Record<ToolName, string[]> = {
  chromium: ['chromium', 'chromium-browser'],
  k6: ['k6'],
  moto_server: ['moto_server'],
  wrk: ['wrk'],
};

/** Where a tool is found on a machine with nothing on PATH (Debian packages). */
const SYSTEM_PATHS: Record<ToolName, string[]> = {
  chromium: ['/usr/bin/chromium', '/usr/bin/chromium-browser'],
  k6: [],
  moto_server: [],
  wrk: ['/usr/bin/wrk'],
};

/** How to get a missing tool, for messages. */
export const TOOL_INSTALL_HINTS: Record<ToolName, string> = {
  chromium: 'run `opsproof doctor --install` (installs Debian chromium) or set OPSPROOF_CHROMIUM',
  k6: 'run `opsproof doctor --install` (go install go.k6.io/k6@v1.8.1 into .tools/bin) or set OPSPROOF_K6',
  moto_server: 'run `opsproof doctor --install` (moto[server] into .venv) or set OPSPROOF_MOTO',
  wrk: 'run `npm run bench` (installs Debian wrk) or put wrk on PATH',
};

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface FindToolOptions {
  /** Environment to read overrides and PATH from. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** Repository root holding `.tools/bin` and `.venv/bin`. @defaultValue {@link repoRoot} */
  root?: string;
}

/** Where a tool was found: its env override, opsproof's `.tools/bin` or `.venv/bin`, `PATH`, a system path. */
export type ToolSource = 'env' | 'tools' | 'venv' | 'path' | 'system';

function taggedCandidates(name: ToolName, options: FindToolOptions): { path: string; source: ToolSource }[] {
  const env = options.env ?? process.env;
  const root = options.root ?? repoRoot;
  const out: { path: string; source: ToolSource }[] = [];
  const override = TOOL_ENV_OVERRIDES[name];
  if (override && env[override]) out.push({ path: env[override], source: 'env' });
  for (const exe of EXECUTABLES[name]) out.push({ path: join(root, '.tools', 'bin', exe), source: 'tools' });
  for (const exe of EXECUTABLES[name]) out.push({ path: join(root, '.venv', 'bin', exe), source: 'venv' });
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    for (const exe of EXECUTABLES[name]) out.push({ path: join(dir, exe), source: 'path' });
  }
  for (const path of SYSTEM_PATHS[name]) out.push({ path, source: 'system' });
  return out;
}

/** The candidate paths for a tool, in lookup order. */
function toolCandidates(name: ToolName, options: FindToolOptions = {}): string[] {
  return taggedCandidates(name, options).map((c) => c.path);
}

/** A tool as `opsproof doctor` reports it: where it was found, or how to get it. */
export type ToolStatus =
  | { name: ToolName; found: true; path: string; source: ToolSource }
  | { name: ToolName; found: false; hint: string };

/** Looks each tool up as {@link findTool} does, saying where it was found. */
export function inspectTools(names: readonly ToolName[], options: FindToolOptions = {}): ToolStatus[] {
  return names.map((name) => {
    const hit = taggedCandidates(name, options).find((c) => isExecutable(c.path));
    return hit
      ? { name, found: true, path: hit.path, source: hit.source }
      : { name, found: false, hint: TOOL_INSTALL_HINTS[name] };
  });
}

/**
 * Finds a tool: the env override (`OPSPROOF_CHROMIUM`, `OPSPROOF_K6`, `OPSPROOF_MOTO`), the project's
 * `.tools/bin` and `.venv/bin`, `PATH`, then known system paths. `undefined` when absent.
 */
export function findTool(name: ToolName, options: FindToolOptions = {}): string | undefined {
  return toolCandidates(name, options).find(isExecutable);
}

/** Like {@link findTool}, but a missing tool is an {@link EnvironmentError} (exit 3). */
export function findToolOrThrow(name: ToolName, options: FindToolOptions = {}): string {
  const path = findTool(name, options);
  if (path) return path;
  throw new EnvironmentError('tool-missing', `${name} was not found`, { hint: TOOL_INSTALL_HINTS[name] });
}

export type RequiredTool = { path: string; skip?: undefined } | { path?: undefined; skip: string };

/**
 * For tests needing a tool: `{ path }` when present; when missing, `{ skip: reason }` — or a thrown
 * error when `CI=true`, so CI never passes by skipping.
 *
 * @example
 * const k6 = requireTool('k6');
 * test.skipIf(k6.skip)('runs k6', () => { ... k6.path ... });
 */
export function requireTool(name: ToolName, options: FindToolOptions = {}): RequiredTool {
  const env = options.env ?? process.env;
  const path = findTool(name, options);
  if (path) return { path };
  const reason = `${name} not found (${TOOL_INSTALL_HINTS[name]})`;
  if (env.CI === 'true') throw new Error(`CI=true and a required tool is missing: ${reason}`);
  return { skip: reason };
}
