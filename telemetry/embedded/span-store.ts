import { attributeMatches } from '../match-records.ts';
import type { AttributeValue, TraceQuery, TraceSummary } from '../types.ts';

/** One received span, flattened: resource attributes are kept apart from the span's own. */
export interface StoredSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** Epoch ms. */
  startTime: number;
  endTime: number;
  attributes: Record<string, AttributeValue>;
  resource: Record<string, AttributeValue>;
  /** Epoch ms when the receiver got it. */
  receivedAt: number;
}

/**
 * Received spans, bounded: beyond `maxSpans` the oldest are evicted and counted in `evicted`, so a
 * long drill cannot grow memory without limit.
 */
export class SpanStore {
  readonly #spans: StoredSpan[] = [];
  readonly #max: number;
  #evicted = 0;

  constructor(options: { maxSpans?: number } = {}) {
    this.#max = options.maxSpans ?? 50_000;
  }

  get size(): number {
    return this.#spans.length;
  }

  get evicted(): number {
    return this.#evicted;
  }

  add(spans: readonly StoredSpan[]): void {
    this.#spans.push(...spans);
    const overflow = this.#spans.length - this.#max;
    if (overflow > 0) {
      this.#spans.splice(0, overflow);
      this.#evicted += overflow;
    }
  }

  /**
   * Traces with a span that carries every attribute of the query (its own or its resource's) and
   * starts inside the window; newest first, at most `limit`.
   */
  find(query: TraceQuery): TraceSummary[] {
    const from = query.from.getTime();
    const to = query.to?.getTime() ?? Number.POSITIVE_INFINITY;
    const wanted = Object.entries(query.attributes ?? {});
    const matching = new Set<string>();
    for (const span of this.#spans) {
      if (span.startTime < from || span.startTime > to) continue;
      if (wanted.every(([key, value]) => attributeMatches(span.attributes[key] ?? span.resource[key], value)))
        matching.add(span.traceId);
    }
    const byTrace = new Map<string, StoredSpan[]>();
    for (const span of this.#spans) {
      if (!matching.has(span.traceId)) continue;
      const list = byTrace.get(span.traceId) ?? [];
      list.push(span);
      byTrace.set(span.traceId, list);
    }
    const summaries = [...byTrace.entries()].map(([traceId, spans]) => summarize(traceId, spans));
    summaries.sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
    return summaries.slice(0, query.limit ?? 100);
  }
}

function summarize(traceId: string, spans: StoredSpan[]): TraceSummary {
  const start = Math.min(...spans.map((s) => s.startTime));
  const end = Math.max(...spans.map((s) => s.endTime));
  const root = spans.find((s) => !s.parentSpanId) ?? spans[0]!;
  const attributes: Record<string, AttributeValue> = {};
  for (const span of spans) Object.assign(attributes, span.resource, span.attributes);
  const service = root.resource['service.name'];
  return {
    traceId,
    startTime: new Date(start),
    durationMs: end - start,
    receivedAt: new Date(Math.min(...spans.map((s) => s.receivedAt))),
    ...(service === undefined ? {} : { service: String(service) }),
    rootName: root.name,
    attributes,
    spanCount: spans.length,
  };
}
