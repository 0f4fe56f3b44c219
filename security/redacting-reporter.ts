import type { Redactor } from '../core/redact.ts';
import type { Reporter } from '../reports/reporter.ts';

/**
 * Hands `inner` only redacted values: every timeline record (progress on the terminal) and the final
 * RunResult (report files) go through the run's redactor first.
 */
export function createRedactingReporter(inner: Reporter, redactor: Redactor): Reporter {
  return {
    name: inner.name,
    ...(inner.onBegin ? { onBegin: (info) => inner.onBegin?.(info) } : {}),
    ...(inner.onEvent ? { onEvent: (record) => inner.onEvent?.(redactor.value(record)) } : {}),
    ...(inner.onEnd ? { onEnd: (result) => inner.onEnd?.(redactor.value(result)) } : {}),
  };
}
