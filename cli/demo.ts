import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { EnvironmentError, EXIT, type ExitCode, UsageError } from '../core/errors.ts';
import type { DemoStack } from '../demo/start-demo-stack.ts';
import type { Telemetry } from '../telemetry/port.ts';
import { printHuman } from './command-kit.ts';

/** The demo suite (its alarms are what the embedded telemetry evaluates). */
const DEMO_SUITE = fileURLToPath(new URL('../opsproof.config.ts', import.meta.url));

export interface DemoFlags {
  port?: string;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the demo service (+ fault gateway, telemetry) until Ctrl-C')
    .option('--port <n>', 'port to listen on (default: a free one)')
    .action(async (flags: DemoFlags) => {
      process.exitCode = await runDemo(flags);
    });
}

/**
 * Runs the demo service behind the fault gateway, exporting traces to embedded telemetry that
 * evaluates the demo suite's alarms, until Ctrl-C. Service logs go to stdout; the URLs and fault /
 * alarm events to stderr.
 */
export async function runDemo(flags: DemoFlags): Promise<ExitCode> {
  const port = flags.port === undefined ? 0 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be an integer from 0 to 65535, got "${flags.port}"`);
  }
  const [
    { startFaultGateway },
    { loadSuite, resolveEnvironment },
    { Timeline },
    { startDemoStack },
    { formatEvent },
    { asEmbedded, createTelemetry },
  ] = await Promise.all([
    import('../chaos/fault-gateway.ts'),
    import('../core/load-config.ts'),
    import('../core/timeline.ts'),
    import('../demo/start-demo-stack.ts'),
    import('../reports/format-event.ts'),
    import('../telemetry/create-telemetry.ts'),
  ]);
  const loaded = await loadSuite({ config: DEMO_SUITE });
  const env = resolveEnvironment(loaded.suite, 'local');
  const timeline = new Timeline();
  timeline.on((record) => {
    const line = formatEvent(record);
    if (
      line &&
      (record.type === 'fault.start' || record.type === 'fault.end' || record.type === 'alarm.state')
    ) {
      printHuman(line);
    }
  });

  let telemetry: Telemetry | undefined;
  let stack: DemoStack;
  try {
    stack = await startDemoStack(
      { port },
      {
        startTelemetry: async () => {
          const started = await createTelemetry(env, { suite: loaded.suite, timeline });
          telemetry = started;
          return { otlpUrl: asEmbedded(started)?.otlpUrl, close: () => started.close() };
        },
        startGateway: ({ upstream, listen }) => startFaultGateway({ upstream, listen, timeline, telemetry }),
      },
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new EnvironmentError('port-in-use', `port ${port} is already in use`, {
        hint: 'pick another with --port, or omit it for a free one',
        cause: error,
      });
    }
    throw error;
  }

  printHuman(`opsproof demo: ${stack.url}  (service ${stack.serviceUrl}, through the fault gateway)`);
  if (stack.controlUrl) {
    printHuman(`fault gateway control: ${stack.controlUrl}`);
    printHuman(
      `  e.g. curl -X POST ${stack.controlUrl}/faults -d '{"spec":"error:status=503,percent=30","ttl":"30s"}'`,
    );
  }
  if (stack.otlpUrl) printHuman(`traces: OTLP receiver at ${stack.otlpUrl}`);
  printHuman('press Ctrl-C to stop');

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  printHuman(`${signal}: stopping`);
  await stack.close();
  return EXIT.passed;
}
