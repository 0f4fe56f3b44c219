import type { z } from 'zod';

/** One problem found in an input, with where it is and how bad. */
export interface Diagnostic {
  /** Dotted path into the input, e.g. `environments.staging.kpis.p99`. */
  path: string;
  severity: 'error' | 'warning';
  message: string;
}

/** `environments.staging.kpis.p99` from zod's path array (`alarms[2].Period` for indices). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.hasOwn(current, key)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/**
 * Every zod issue as a diagnostic naming the path, what was expected (with the allowed values for
 * enums) and what was found.
 */
export function diagnosticsFromZod(
  error: z.ZodError,
  input: unknown,
  prefix: readonly PropertyKey[] = [],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const visit = (issues: readonly z.core.$ZodIssue[], base: readonly PropertyKey[]) => {
    for (const issue of issues) {
      const path = [...base, ...issue.path];
      if (issue.code === 'invalid_union' && issue.errors.length > 0) {
        // Report the branch that got furthest: the one whose first issue has the longest path.
        const best = [...issue.errors].sort(
          (a, b) => (b[0]?.path.length ?? 0) - (a[0]?.path.length ?? 0),
        )[0]!;
        visit(best, path);
        continue;
      }
      out.push({
        path: formatPath(path),
        severity: 'error',
        message: messageFor(issue, valueAt(input, path)),
      });
    }
  };
  visit(error.issues, prefix);
  return out;
}

function messageFor(issue: z.core.$ZodIssue, value: unknown): string {
  const got = `got ${describeValue(value)}`;
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined
        ? `required: expected ${issue.expected}`
        : `expected ${issue.expected}, ${got}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, ${got}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'number') {
        return issue.minimum === 0 && !issue.inclusive
          ? `expected a positive number, ${got}`
          : `expected a number ${issue.inclusive ? '>=' : '>'} ${issue.minimum}, ${got}`;
      }
      if (issue.origin === 'array') return `expected at least ${issue.minimum} item(s)`;
      if (issue.origin === 'string') return `expected at least ${issue.minimum} character(s), ${got}`;
      return issue.message;
    case 'too_big':
      if (issue.origin === 'number')
        return `expected a number ${issue.inclusive ? '<=' : '<'} ${issue.maximum}, ${got}`;
      return `${issue.message}, ${got}`;
    case 'invalid_union':
      if ('note' in issue && issue.note === 'No matching discriminator') {
        return `${issue.message}, ${got}`;
      }
      return `${issue.message}, ${got}`;
    default:
      return `${issue.message}, ${got}`;
  }
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** `path: message` lines, errors first. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  return [...diagnostics]
    .sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1))
    .map((d) => `  ${d.severity === 'error' ? '✖' : '⚠'} ${d.path}: ${d.message}`)
    .join('\n');
}

/** The diagnostics with each (severity, path, message) once, in their first order. */
export function dedupeDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.severity}\0${d.path}\0${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
