import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { logRecordMatches } from '../match-records.ts';
import { parseLogLine } from '../parse-log-line.ts';
import type { LogQuery, LogRecord } from '../types.ts';

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
    const out: LogRecord[] = [];
    for (const record of this.#records) {
      const t = record.receivedAt.getTime();
      if (t < from || t > to || !logRecordMatches(record, query)) continue;
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
