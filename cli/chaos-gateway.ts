import type { Command } from 'commander';
import { EXIT, type ExitCode, UsageError } from '../core/errors.ts';
import { collect, printHuman } from './command-kit.ts';
import { parseDurationFlag } from './duration-flag.ts';

export interface ChaosGatewayFlags {
  upstream: string;
  listen?: string;
  control?: string;
  fault?: string[];
  ttl: string;
}

export function registerChaosGateway(chaos: Command): void {
  chaos
    .command('gateway')
    .description('run the fault-injecting HTTP gateway in front of a service until Ctrl-C')
    .requiredOption('--upstream <url>', 'service the gateway forwards to')
    .option('--listen <host:port>', 'address clients use', '127.0.0.1:0')
    .option('--control <host:port>', 'address of the control API (GET/POST /faults, POST /reset)')
    .option(
      '--fault <spec>',
      "fault to start with, e.g. 'error:status=503,percent=50' (repeatable)",
      collect,
      [],
    )
    .option('--ttl <duration>', 'default time-to-live of a fault', '60s')
    .action(async (flags: ChaosGatewayFlags) => {
      process.exitCode = await runChaosGateway(flags);
    });
}

/** `127.0.0.1:8081` → `{ host, port }`; a bare port means loopback. */
function parseAddress(value: string | undefined, flag: string): { host: string; port: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^(?:\[?([^\]]*?)\]?:)?(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[2]);
  if (!match || port > 65535)
    throw new UsageError(`${flag}: expected HOST:PORT, got ${JSON.stringify(value)}`);
  return { host: match[1] || '127.0.0.1', port };
}

/**
 * Runs the fault gateway until Ctrl-C / SIGTERM, then clears every fault and exits 130. Prints one
 * JSON line with the addresses on stdout (for scripts), human lines on stderr.
 */
export async function runChaosGateway(flags: ChaosGatewayFlags): Promise<ExitCode> {
  const [{ startFaultGateway }, { checkFaultTtl, parseFaultSpec }, { Timeline }, { createInterruptSignal }] =
    await Promise.all([
      import('../chaos/fault-gateway.ts'),
      import('../chaos/parse-fault-spec.ts'),
      import('../core/timeline.ts'),
      import('../runner/run.ts'),
    ]);
  const ttlMs = parseDurationFlag('ttl', flags.ttl, '60s or 5m');
  if (ttlMs <= 0) throw new UsageError(`--ttl expects a duration above 0, like 60s, got "${flags.ttl}"`);
  const ttlProblem = checkFaultTtl(ttlMs);
  if (ttlProblem) throw new UsageError(`--ttl ${flags.ttl}: ${ttlProblem}`);
  const specs = (flags.fault ?? []).map(parseFaultSpec);
  const listen = parseAddress(flags.listen, '--listen');
  const control = parseAddress(flags.control, '--control');
  const timeline = new Timeline();
  timeline.on((r) => {
    if (r.type === 'fault.start') printHuman(`fault ${r.faultId} on: ${r.spec}`);
    if (r.type === 'fault.end') printHuman(`fault ${r.faultId} off (${r.reason})`);
  });
  const interrupt = createInterruptSignal();
  const gateway = await startFaultGateway({
    upstream: flags.upstream,
    ...(listen ? { listen } : {}),
    ...(control ? { control } : {}),
    defaultTtlMs: ttlMs,
    timeline,
  });
  try {
    printHuman(`fault gateway ${gateway.url} → ${gateway.upstream}`);
    printHuman(
      `control API ${gateway.controlUrl} (GET/POST /faults, DELETE /faults/:id, POST /reset); default TTL ${flags.ttl}`,
    );
    process.stdout.write(
      `${JSON.stringify({ url: gateway.url, controlUrl: gateway.controlUrl, upstream: gateway.upstream })}\n`,
    );
    for (const spec of specs) gateway.addFault(spec, ttlMs);
    await new Promise<void>((resolve) => {
      if (interrupt.signal.aborted) resolve();
      interrupt.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    interrupt.dispose();
    await gateway.close();
  }
  printHuman('fault gateway stopped; no fault left active');
  return EXIT.interrupted;
}
