import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import protobuf from 'protobufjs';
import { EnvironmentError } from '../../core/errors.ts';
import { BodyTooLargeError, readBody } from '../../core/read-body.ts';
import type { AttributeValue } from '../types.ts';
import type { SpanStore, StoredSpan } from './span-store.ts';

/**
 * An OTLP/HTTP trace receiver (`POST /v1/traces`, JSON or protobuf, optionally gzip). Spans land in a
 * bounded {@link SpanStore}. The protobuf messages are the subset of
 * `opentelemetry/proto/collector/trace/v1/trace_service.proto` (and its imports) that we read, with
 * the upstream field numbers; unknown fields are skipped by protobufjs.
 */
const OTLP_PROTO = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; }
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  string trace_state = 3;
  bytes parent_span_id = 4;
  string name = 5;
  int32 kind = 6;
  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9;
}
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
`;

const requestType = protobuf
  .parse(OTLP_PROTO, { keepCase: false })
  .root.lookupType('otlp.ExportTraceServiceRequest');

/** OTLP's AnyValue in its JSON mapping (protobuf decodes to the same shape via `toObject`). */
interface AnyValueJson {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: AnyValueJson[] };
  kvlistValue?: { values?: KeyValueJson[] };
  bytesValue?: string;
}
interface KeyValueJson {
  key: string;
  value?: AnyValueJson;
}
interface SpanJson {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: KeyValueJson[];
}
interface ExportRequestJson {
  resourceSpans?: {
    resource?: { attributes?: KeyValueJson[] };
    scopeSpans?: { spans?: SpanJson[] }[];
  }[];
}

function flattenValue(value: AnyValueJson | undefined): AttributeValue {
  if (!value) return '';
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return JSON.stringify((value.arrayValue.values ?? []).map(flattenValue));
  if (value.kvlistValue) return JSON.stringify(flattenAttributes(value.kvlistValue.values));
  if (value.bytesValue !== undefined) return value.bytesValue;
  return '';
}

function flattenAttributes(list: readonly KeyValueJson[] | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of list ?? []) out[kv.key] = flattenValue(kv.value);
  return out;
}

/** Nanoseconds (string or number) → epoch ms. */
function nanosToMs(nanos: string | number | undefined): number {
  if (nanos === undefined) return 0;
  if (typeof nanos === 'number') return nanos / 1e6;
  return Number(BigInt(nanos) / 1_000n) / 1000;
}

/** OTLP/JSON ids are hex; a base64 id (some exporters) is turned into hex. */
function normalizeId(id: string | undefined): string {
  if (!id) return '';
  if (/^[0-9a-f]+$/i.test(id) && (id.length === 32 || id.length === 16)) return id.toLowerCase();
  return Buffer.from(id, 'base64').toString('hex');
}

/** Spans of an OTLP export request (JSON mapping). Pure. */
export function parseOtlpTraces(request: ExportRequestJson, receivedAt: number): StoredSpan[] {
  const spans: StoredSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = flattenAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        const parent = normalizeId(span.parentSpanId);
        spans.push({
          traceId: normalizeId(span.traceId),
          spanId: normalizeId(span.spanId),
          ...(parent ? { parentSpanId: parent } : {}),
          name: span.name ?? '',
          startTime: nanosToMs(span.startTimeUnixNano),
          endTime: nanosToMs(span.endTimeUnixNano),
          attributes: flattenAttributes(span.attributes),
          resource,
          receivedAt,
        });
      }
    }
  }
  return spans;
}

/** Decodes a protobuf ExportTraceServiceRequest into the JSON mapping. */
export function decodeOtlpProtobuf(body: Uint8Array): ExportRequestJson {
  const message = requestType.decode(body);
  const object = requestType.toObject(message, { longs: String, bytes: String, defaults: false });
  // protobufjs gives bytes as base64: normalizeId turns them into hex.
  return object as ExportRequestJson;
}

export interface OtlpReceiver {
  /** Base URL for `OTEL_EXPORTER_OTLP_ENDPOINT` (the exporter appends `/v1/traces`). */
  url: string;
  /** Full traces endpoint (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`). */
  tracesUrl: string;
  /** Requests refused (bad body, too large). */
  readonly rejected: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

async function readOtlpBody(req: IncomingMessage): Promise<Buffer> {
  const raw = await readBody(req, MAX_BODY_BYTES);
  const encoding = req.headers['content-encoding'];
  if (encoding === 'gzip') return promisify(gunzip)(raw);
  if (encoding === 'deflate') return promisify(inflate)(raw);
  return raw;
}

/** Starts the receiver on loopback (port 0 unless given). */
export async function startOtlpReceiver(
  store: SpanStore,
  options: { host?: string; port?: number; now?: () => number } = {},
): Promise<OtlpReceiver> {
  const now = options.now ?? Date.now;
  let rejected = 0;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'POST' || path !== '/v1/traces') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    readOtlpBody(req)
      .then((body) => {
        const request =
          type === 'application/json'
            ? (JSON.parse(body.toString('utf8')) as ExportRequestJson)
            : decodeOtlpProtobuf(body);
        store.add(parseOtlpTraces(request, now()));
        if (type === 'application/json') res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      })
      .catch((error: unknown) => {
        rejected++;
        const tooLarge = error instanceof BodyTooLargeError;
        res
          // A refused upload may still be arriving: close the connection, so the client does not
          // reuse a socket whose request body was never read to its end.
          .writeHead(tooLarge ? 413 : 400, {
            'content-type': 'application/json',
            ...(req.complete ? {} : { connection: 'close' }),
          })
          .end(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
      });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new EnvironmentError(
          'port-in-use',
          `OTLP receiver could not listen on ${host}:${options.port ?? 0}`,
          { cause: error },
        ),
      ),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  return {
    url,
    tracesUrl: `${url}/v1/traces`,
    get rejected() {
      return rejected;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
