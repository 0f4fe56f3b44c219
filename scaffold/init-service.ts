import { existsSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { UsageError } from '../core/errors.ts';
import { CONFIG_FILE_NAMES } from '../core/load-config.ts';
import { buildScaffold, type ScaffoldInput, type ScaffoldRequest } from './build-scaffold.ts';
import { probeService, type ServiceProbe } from './probe-service.ts';
import { loadOpenApi, type OpenApiSummary, type SkippedOperation } from './read-openapi.ts';
import { writeScaffold } from './write-scaffold.ts';

export interface InitOptions {
  /** The running service to probe. */
  url?: string;
  /** An OpenAPI 3 / Swagger 2 document: a file (relative to `cwd`) or an http(s) URL. */
  openapi?: string;
  /** `CMD {port}`: opsproof starts the service for each run. */
  start?: string;
  /** The service's staging URL: an aws environment `staging` (synth, diff, deploy). */
  staging?: string;
  /** The staging environment's AWS region. @defaultValue AWS_REGION, else eu-west-1 */
  region?: string;
  /** Where to write. */
  dir: string;
  cwd: string;
  force: boolean;
}

export interface InitOutcome {
  written: string[];
  input: ScaffoldInput;
  /** Operations of the document left out, and why. */
  skipped: SkippedOperation[];
}

/**
 * `opsproof init`: probes the URL and/or reads the OpenAPI document, builds the suite and writes
 * it. Refuses a folder that has a config (without `force`) before contacting anything.
 */
export async function initService(options: InitOptions): Promise<InitOutcome> {
  const dir = resolve(options.cwd, options.dir);
  if (!options.url && !options.openapi)
    throw new UsageError('init needs --url URL (a running service) or --openapi FILE|URL, or both');
  const existing = CONFIG_FILE_NAMES.filter((name) => existsSync(resolve(dir, name)));
  if (existing.length > 0 && !options.force)
    throw new UsageError(`${dir} already has ${existing.join(', ')}; nothing was written`, {
      hint: 'pass --force to overwrite it, or --dir to write elsewhere',
    });

  const api = options.openapi
    ? await loadOpenApi(
        /^https?:\/\//.test(options.openapi) ? options.openapi : resolve(options.cwd, options.openapi),
      )
    : undefined;
  const probe = options.url ? await probeService(options.url) : undefined;
  const input = buildScaffoldInput({
    probe,
    api,
    start: options.start ? splitCommand(options.start) : undefined,
    source: [options.url, options.openapi].filter(Boolean).join(' and '),
    fallbackName: packageName(dir) ?? basename(dir),
  });
  if (options.staging)
    input.staging = {
      target: options.staging.replace(/\/$/, ''),
      region: options.region ?? process.env.AWS_REGION ?? 'eu-west-1',
    };
  const readme = existsSync(resolve(dir, 'README.md')) ? 'README.md' : 'OPSPROOF.md';
  const written = writeScaffold(dir, buildScaffold(input, readme), options.force);
  return { written, input, skipped: api?.skipped ?? [] };
}

/** What the probe and the document say, as the scaffold's input (pure). */
export function buildScaffoldInput(found: {
  probe: ServiceProbe | undefined;
  api: OpenApiSummary | undefined;
  start: string[] | undefined;
  source: string;
  fallbackName: string;
}): ScaffoldInput {
  const { probe, api, start } = found;
  const origin = probe?.origin ?? api?.serverUrl;
  if (!origin && !start)
    throw new UsageError('the OpenAPI document names no absolute server URL; give --url or --start');
  const requests: ScaffoldRequest[] = api
    ? api.operations.map((o) => ({ ...o }))
    : (probe?.pages ?? [])
        .filter((p) => p.kind !== 'html' && p.status < 400)
        .map((p) => ({ name: `GET ${p.path}`, method: 'GET' as const, path: p.path, okStatuses: [] }));
  const pages = (probe?.pages ?? [])
    .filter((p) => p.kind === 'html' && p.status < 400)
    .map((p) => ({ path: p.path, ...(p.title ? { title: p.title } : {}) }));
  const health = probe?.healthPath;
  if (health && !requests.some((r) => r.path === health))
    requests.push({ name: 'health', method: 'GET', path: health, okStatuses: [] });
  if (requests.length === 0 && pages.length === 0)
    throw new UsageError(
      probe
        ? `${probe.origin}${probe.pages[0]?.path ?? '/'} answered ${probe.pages[0]?.status}, and no health path or safe operation was found to check`
        : 'the OpenAPI document has no GET or HEAD operation that can be called without a parameter lacking an example',
    );
  const readyPath = health ?? requests[0]?.path.split('?')[0] ?? pages[0]?.path ?? '/';
  return {
    service: slug(api?.title ?? found.fallbackName),
    source: found.source,
    target: start ? 'http://127.0.0.1:0' : origin!,
    ...(start ? { start } : {}),
    readyPath,
    pages,
    requests,
  };
}

/**
 * A suite name from a title: lower-case letters, digits and `-`. No `.`, though a suite name may
 * have one: the CDK app names its stacks after the service, and `opsproof synth` fails on a dot.
 */
export function slug(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return s || 'service';
}

/** `--start` as argv: whitespace splits, single and double quotes group (no shell runs it). */
export function splitCommand(command: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|([^\s'"]+)/g;
  let current = '';
  let last = -1;
  for (const m of command.matchAll(re)) {
    const part = m[1] ?? m[2] ?? m[3] ?? '';
    // Adjacent pieces without a space between them (`--x="a b"`) are one argument.
    if (last === m.index && out.length > 0) current = `${out.pop()}${part}`;
    else current = part;
    out.push(current);
    last = m.index + m[0].length;
  }
  if (out.length === 0)
    throw new UsageError('--start needs a command, e.g. --start "node server.js --port {port}"');
  return out;
}

function packageName(dir: string): string | undefined {
  try {
    const name = (JSON.parse(readFileSync(resolve(dir, 'package.json'), 'utf8')) as { name?: unknown }).name;
    return typeof name === 'string' ? name.replace(/^@[^/]+\//, '') : undefined;
  } catch {
    return undefined;
  }
}
