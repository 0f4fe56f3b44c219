import { type DemoServer, type LogSink, startDemoServer } from './server.ts';

/** A fault gateway as the stack needs it (chaos/fault-gateway.ts satisfies this). */
export interface StackGateway {
  url: string;
  controlUrl: string;
  close(): Promise<void>;
}

/** A telemetry backend with an OTLP receiver (the embedded provider satisfies this). */
export interface StackTelemetry {
  otlpUrl?: string;
  close(): Promise<void>;
}

/**
 * What the stack starts besides the service. Injected, so demo/ depends on no other opsproof
 * folder: `opsproof demo` passes the real fault gateway and embedded telemetry when they exist.
 */
export interface DemoStackParts {
  startTelemetry?: () => Promise<StackTelemetry>;
  /** Started after telemetry, so it can record its request metrics there. */
  startGateway?: (options: {
    upstream: string;
    listen: { host: string; port: number };
  }) => Promise<StackGateway>;
}

export interface DemoStackOptions {
  /** Port clients use: the gateway's when there is one, else the service's. @defaultValue 0 */
  port?: number;
  /** @defaultValue '127.0.0.1' */
  host?: string;
  log?: LogSink;
  /** Used when no telemetry part is given. */
  otlpEndpoint?: string;
}

export interface DemoStack {
  /** URL clients use (through the gateway when it runs). */
  url: string;
  /** The service's own URL. */
  serviceUrl: string;
  /** Fault gateway control API, when a gateway runs. */
  controlUrl?: string;
  /** OTLP base URL the service exports traces to, when tracing is on. */
  otlpUrl?: string;
  /** Stops the gateway, then the service (flushing its spans), then telemetry. */
  close(): Promise<void>;
}

/**
 * Starts the demo service and, when given, embedded telemetry (whose OTLP receiver the service
 * exports to) and a fault gateway in front of it: clients use the gateway on `port`, the service
 * takes a free port behind it. Whatever started is stopped again if a later part fails.
 */
export async function startDemoStack(
  options: DemoStackOptions = {},
  parts: DemoStackParts = {},
): Promise<DemoStack> {
  const { port = 0, host = '127.0.0.1', log } = options;
  const started: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of started.splice(0).reverse()) await close();
  };
  try {
    const telemetry = parts.startTelemetry ? await parts.startTelemetry() : undefined;
    if (telemetry) started.push(() => telemetry.close());
    const otlpUrl = telemetry ? telemetry.otlpUrl : options.otlpEndpoint;

    const service: DemoServer = await startDemoServer({
      port: parts.startGateway ? 0 : port,
      host,
      otlpEndpoint: otlpUrl,
      ...(log ? { log } : {}),
    });
    started.push(() => service.close());
    await service.whenReady;

    const gateway = parts.startGateway
      ? await parts.startGateway({ upstream: service.url, listen: { host, port } })
      : undefined;
    if (gateway) started.push(() => gateway.close());

    const stack: DemoStack = { url: gateway?.url ?? service.url, serviceUrl: service.url, close: closeAll };
    if (gateway) stack.controlUrl = gateway.controlUrl;
    if (otlpUrl) stack.otlpUrl = otlpUrl;
    return stack;
  } catch (error) {
    await closeAll();
    throw error;
  }
}
