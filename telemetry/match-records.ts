import type { AttributeValue, LogQuery, LogRecord } from './types.ts';

/**
 * How a trace or log query matches what a provider found, the same on both: the aws provider checks
 * again what the service's own filter should have applied (the emulator does not apply them).
 */

/** Does `actual` carry `expected`? Numbers and strings compare by text (OTLP sends int64 as strings). */
export function attributeMatches(actual: unknown, expected: AttributeValue): boolean {
  if (actual === undefined || actual === null) return false;
  return actual === expected || String(actual) === String(expected);
}

/** The value at a dotted path (`http.route`) or a top-level key containing dots. */
function fieldAt(fields: Record<string, unknown>, path: string): unknown {
  if (path in fields) return fields[path];
  let current: unknown = fields;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Does the record's line contain `contains` and carry every queried field (dotted paths allowed)? */
export function logRecordMatches(record: LogRecord, query: Pick<LogQuery, 'fields' | 'contains'>): boolean {
  if (query.contains !== undefined && !record.raw.includes(query.contains)) return false;
  return Object.entries(query.fields ?? {}).every(([key, value]) =>
    attributeMatches(fieldAt(record.fields, key), value),
  );
}
