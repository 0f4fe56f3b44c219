import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { LogQuery, LogRecord } from '../types.ts';
import { attributeMatches } from './span-store.ts';

/** Timestamp fields tried, in order, when a JSON log line carries its own time. */
const TIME_FIELDS = ['time', 'timestamp', 'ts', '@timestamp'];

/** One captured line as a record: JSON objects keep their fields, anything else is kept raw. Pure. */
export function parseLogLine(line: string, source: string, receivedAt: number): LogRecord {
  let fields: Record<string, unknown> = {};
  const trimmed = line.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        fields = parsed as Record<string, unknown>;
    } catch {
      // Not JSON after all: kept as a raw line.
    }
  }
  let timestamp = receivedAt;
  for (const key of TIME_FIELDS) {
    const value = fields[key];
    const ms =
      typeof value === 'number'
        ? value > 1e12
          ? value
          : value * 1000
        : typeof value === 'string'
          ? Date.parse(value)
          : Number.NaN;
    if (Number.isFinite(ms)) {
      timestamp = ms;
      break;
    }
  }
  return { timestamp: new Date(timestamp), receivedAt: new Date(receivedAt), source, fields, raw: line };
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

/** Captured log lines, bounded: beyond `maxRecords` the oldest are evicted and counted. */
export class LogStore {
  readonly #records: LogRecord[] = [];
  readonly #max: number;
  readonly #redact: ((line: string) => string) | undefined;
  #evicted = 0;

  /** `redact` removes secrets from every captured line before it is stored (raw and parsed). */
  constructor(options: { maxRecords?: number; redact?: (line: string) => string } = {}) {
    this.#max = options.maxRecords ?? 50_000;
    this.#redact = options.redact;
  }

  get size(): number {
    return this.#records.length;
  }

  get evicted(): number {
    return this.#evicted;
  }

  add(record: LogRecord): void {
    this.#records.push(record);
    if (this.#records.length > this.#max) {
      this.#records.shift();
      this.#evicted++;
    }
  }

  /**
   * Records whose fields equal every queried field (dotted paths allowed) and whose raw line contains
   * `contains`, captured inside the window; oldest first, at most `limit`.
   */
  find(query: LogQuery): LogRecord[] {
    const from = query.from.getTime();
    const to = query.to?.getTime() ?? Number.POSITIVE_INFINITY;
    const wanted = Object.entries(query.fields ?? {});
    const out: LogRecord[] = [];
    for (const record of this.#records) {
      const t = record.receivedAt.getTime();
      if (t < from || t > to) continue;
      if (query.contains !== undefined && !record.raw.includes(query.contains)) continue;
      if (!wanted.every(([key, value]) => attributeMatches(fieldAt(record.fields, key), value))) continue;
      out.push(record);
      if (out.length >= (query.limit ?? 1000)) break;
    }
    return out;
  }

  /** Reads `stream` line by line until it ends; returns a function that stops capturing. */
  capture(stream: Readable, source: string, now: () => number = Date.now): () => void {
    const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    lines.on('line', (line) => {
      if (line.trim() !== '') this.add(parseLogLine(this.#redact ? this.#redact(line) : line, source, now()));
    });
    return () => lines.close();
  }
}
