import type { LogRecord } from './types.ts';

/** Timestamp fields tried, in order, when a JSON log line carries its own time. */
const TIME_FIELDS = ['time', 'timestamp', 'ts', '@timestamp'];

/**
 * One log line as a record: JSON objects keep their fields, anything else is kept raw. Both providers
 * read lines this way (captured from the target, or from CloudWatch Logs). Pure.
 */
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
