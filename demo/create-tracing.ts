import {
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';

/** Span attribute carrying the request's correlation ID, so traces can be found by it. */
export const ATTR_CORRELATION_ID = 'correlation.id';

/** Longest one export may take (retries included). */
export const EXPORT_TIMEOUT_MS = 2000;

/** How often the batch processor ships spans; short so assertions see traces within a second. */
export const SPAN_EXPORT_DELAY_MS = 200;

export interface RequestSpanStart {
  method: string;
  path: string;
  correlationId: string;
  /** The request's `traceparent` header, to continue the caller's trace. */
  traceparent?: string;
}

export interface Tracing {
  startRequestSpan(request: RequestSpanStart): Span;
  endRequestSpan(span: Span, end: { method: string; route: string; status: number }): void;
  /** Exports every pending span, then stops. */
  shutdown(): Promise<void>;
}

/**
 * Builds the OTLP trace URL from an `OTEL_EXPORTER_OTLP_ENDPOINT`-style base URL (the spec's
 * rule: append `v1/traces` to the base, keeping its path).
 */
export function buildTracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return url.href;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The caller's span context from a W3C `traceparent` header, or the root context. */
function parentContext(traceparent: string | undefined): Context {
  const match = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!match) return ROOT_CONTEXT;
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  });
}

/**
 * One server span per request, exported over OTLP/HTTP (JSON) to `endpoint`. The provider is not
 * registered globally: the server holds its tracer, so several servers (tests) never share state.
 */
export function createTracing(options: { endpoint: string; serviceName: string; version: string }): Tracing {
  // A short export timeout bounds how long a shutdown waits on a collector that is gone.
  const exporter = new OTLPTraceExporter({
    url: buildTracesUrl(options.endpoint),
    timeoutMillis: EXPORT_TIMEOUT_MS,
  });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      [ATTR_SERVICE_VERSION]: options.version,
    }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: SPAN_EXPORT_DELAY_MS })],
  });
  const tracer: Tracer = provider.getTracer(options.serviceName, options.version);

  return {
    startRequestSpan({ method, path, correlationId, traceparent }) {
      return tracer.startSpan(
        method,
        {
          kind: SpanKind.SERVER,
          attributes: {
            [ATTR_HTTP_REQUEST_METHOD]: method,
            [ATTR_URL_PATH]: path,
            [ATTR_CORRELATION_ID]: correlationId,
          },
        },
        parentContext(traceparent),
      );
    },
    endRequestSpan(span, { method, route, status }) {
      // The route is known only after routing; semantic conventions name server spans "METHOD route".
      span.updateName(`${method} ${route}`);
      span.setAttribute(ATTR_HTTP_ROUTE, route);
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
    shutdown: () => provider.shutdown(),
  };
}
