import SwaggerParser from '@apidevtools/swagger-parser';
import { parse as parseYaml } from 'yaml';
import type { Diagnostic } from '../core/diagnostics.ts';
import { ConfigError, describeError, EnvironmentError } from '../core/errors.ts';

/** A GET or HEAD operation a canary and the load mix may call without side effects. */
export interface SafeOperation {
  /** operationId, else `METHOD path`. */
  name: string;
  method: 'GET' | 'HEAD';
  /** Path relative to the target, base path and example parameters filled in. */
  path: string;
  /** The document's 2xx statuses; empty when it gives only `default`. */
  okStatuses: number[];
}

/** An operation left out, and why (shown by `init`). */
export interface SkippedOperation {
  operation: string;
  reason: string;
}

export interface OpenApiSummary {
  title: string;
  /** Absolute server URL when the document gives one (`servers[0].url`, Swagger 2 `host`). */
  serverUrl?: string;
  operations: SafeOperation[];
  skipped: SkippedOperation[];
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
  default?: unknown;
  enum?: unknown[];
  'x-example'?: unknown;
  schema?: { example?: unknown; default?: unknown; enum?: unknown[] };
}
interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  responses?: Record<string, unknown>;
}
interface Document {
  swagger?: string;
  info?: { title?: string };
  servers?: { url?: string }[];
  host?: string;
  basePath?: string;
  schemes?: string[];
  paths?: Record<string, Record<string, unknown> & { parameters?: Parameter[] }>;
}

/**
 * Parses and validates an OpenAPI 3 or Swagger 2 document (a file or an http(s) URL) with
 * swagger-parser, then picks its safe operations. A document that does not parse or validate is a
 * {@link ConfigError} whose diagnostics carry the path in the document.
 */
export async function loadOpenApi(source: string): Promise<OpenApiSummary> {
  let doc: Document;
  // swagger-parser resolves a root URL like an external reference, which is off: fetch it here.
  const input = /^https?:\/\//.test(source) ? await fetchDocument(source) : source;
  try {
    // Refs to other files or URLs are not followed: a scaffold reads one document, offline.
    doc = (await SwaggerParser.validate(input as string, { resolve: { external: false } })) as Document;
  } catch (error) {
    const diagnostics = diagnosticsFromParserError(error);
    throw new ConfigError(
      `${source} is not a valid OpenAPI document:\n${formatList(diagnostics)}`,
      diagnostics,
      {
        file: source,
        hint: 'give an OpenAPI 3 or Swagger 2 document (JSON or YAML)',
      },
    );
  }
  return buildOpenApiSummary(doc);
}

/** A document served at a URL, parsed (YAML or JSON); not answering is an environment error. */
async function fetchDocument(url: string): Promise<unknown> {
  let text: string;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    text = await res.text();
  } catch (error) {
    throw new EnvironmentError('target-unreachable', `could not read ${url} (${describeError(error)}).`, {
      cause: error,
    });
  }
  try {
    return parseYaml(text);
  } catch (error) {
    const diagnostics = diagnosticsFromParserError(error);
    throw new ConfigError(
      `${url} is not a valid OpenAPI document:\n${formatList(diagnostics)}`,
      diagnostics,
      {
        file: url,
      },
    );
  }
}

/** The safe operations of a dereferenced document (pure). */
export function buildOpenApiSummary(doc: Document): OpenApiSummary {
  const { serverUrl, basePath } = serverOf(doc);
  const operations: SafeOperation[] = [];
  const skipped: SkippedOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of ['get', 'head'] as const) {
      const op = item[method] as Operation | undefined;
      if (!op) continue;
      const label = `${method.toUpperCase()} ${path}`;
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])];
      const filled = fillPath(path, params);
      if (typeof filled !== 'string') {
        skipped.push({ operation: label, reason: filled.reason });
        continue;
      }
      operations.push({
        name: op.operationId ?? label,
        method: method === 'get' ? 'GET' : 'HEAD',
        path: joinPath(basePath, filled),
        okStatuses: Object.keys(op.responses ?? {})
          .filter((code) => /^2\d\d$/.test(code))
          .map(Number),
      });
    }
  }
  return {
    title: doc.info?.title ?? 'service',
    ...(serverUrl ? { serverUrl } : {}),
    operations,
    skipped,
  };
}

/** The path with required path and query parameters set from the document's examples. */
function fillPath(path: string, params: readonly Parameter[]): string | { reason: string } {
  let out = path;
  const query: string[] = [];
  for (const p of params) {
    if (!p.required) continue;
    if (p.in !== 'path' && p.in !== 'query') return { reason: `needs a ${p.in} parameter "${p.name}"` };
    const value = exampleOf(p);
    if (value === undefined) return { reason: `required ${p.in} parameter "${p.name}" has no example` };
    if (p.in === 'path') out = out.replaceAll(`{${p.name}}`, encodeURIComponent(value));
    else query.push(`${encodeURIComponent(p.name)}=${encodeURIComponent(value)}`);
  }
  return query.length > 0 ? `${out}?${query.join('&')}` : out;
}

function exampleOf(p: Parameter): string | undefined {
  const firstExample = p.examples ? Object.values(p.examples)[0]?.value : undefined;
  const candidates = [
    p.example,
    firstExample,
    p['x-example'],
    p.schema?.example,
    p.default,
    p.schema?.default,
    p.enum?.[0],
    p.schema?.enum?.[0],
  ];
  const value = candidates.find((c) => c !== undefined && c !== null);
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value) ? value.join(',') : String(value);
}

function serverOf(doc: Document): { serverUrl?: string; basePath: string } {
  if (doc.swagger) {
    const basePath = doc.basePath ?? '';
    const scheme = doc.schemes?.[0] ?? 'https';
    return doc.host ? { serverUrl: `${scheme}://${doc.host}`, basePath } : { basePath };
  }
  const url = doc.servers?.[0]?.url ?? '/';
  if (/^https?:\/\//.test(url)) {
    const parsed = new URL(url);
    return { serverUrl: parsed.origin, basePath: parsed.pathname };
  }
  return { basePath: url };
}

function joinPath(base: string, path: string): string {
  const trimmed = base.replace(/\/+$/, '');
  return `${trimmed}${path.startsWith('/') ? path : `/${path}`}`;
}

/**
 * swagger-parser's errors as diagnostics: schema errors carry ajv's JSON pointer into the document
 * (`#/paths/~1pets/get/parameters/0/in`), shown as `paths./pets.get.parameters.0.in`; a YAML or
 * JSON syntax error carries its line and column in the message.
 */
function diagnosticsFromParserError(error: unknown): Diagnostic[] {
  type AjvError = { instancePath?: string; message?: string; params?: { allowedValues?: unknown[] } };
  const details = (error as { details?: AjvError[] }).details;
  if (Array.isArray(details) && details.length > 0) {
    const byKey = new Map<string, { path: string; message: string; allowed: Set<string> }>();
    for (const d of details) {
      const path = formatPointer(d.instancePath ?? '');
      const message = d.message ?? 'is invalid';
      const key = `${path}\0${message}`;
      const entry = byKey.get(key) ?? { path, message, allowed: new Set<string>() };
      // Each oneOf alternative allows its own values (`in: path`, `in: query` …): list them all.
      for (const v of d.params?.allowedValues ?? []) entry.allowed.add(String(v));
      byKey.set(key, entry);
    }
    const out: Diagnostic[] = [...byKey.values()].map((e) => ({
      path: e.path,
      severity: 'error',
      message: e.allowed.size > 0 ? `${e.message}: ${[...e.allowed].join(', ')}` : e.message,
    }));
    // ajv also reports each failed alternative of a oneOf on the parent ("must have required
    // property '$ref'"); the deepest paths say what is wrong.
    return out.filter((d) => !out.some((other) => other.path.startsWith(`${d.path}.`)));
  }
  const message = describeError(error).split('\n')[0] ?? 'cannot be parsed';
  // swagger-parser writes `(line:column)` into its message; the yaml package gives `linePos`.
  const fromMessage = /\((\d+):(\d+)\)/.exec(describeError(error));
  const linePos = (error as { linePos?: { line: number; col: number }[] }).linePos?.[0];
  const position = fromMessage
    ? [fromMessage[1], fromMessage[2]]
    : linePos
      ? [linePos.line, linePos.col]
      : undefined;
  return [
    {
      path: position ? `line ${position[0]}, column ${position[1]}` : '(document)',
      severity: 'error',
      message,
    },
  ];
}

function formatPointer(pointer: string): string {
  const parts = pointer
    .replace(/^#?\//, '')
    .split('/')
    .filter((p) => p !== '')
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  return parts.length > 0 ? parts.join('.') : '(document)';
}

function formatList(diagnostics: readonly Diagnostic[]): string {
  return diagnostics.map((d) => `  ${d.path}: ${d.message}`).join('\n');
}
