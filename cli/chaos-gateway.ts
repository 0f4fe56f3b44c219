import type { Command } from 'commander';
import type { ExitCode } from '../core/errors.ts';
import { collect, notBuiltYet } from './command-kit.ts';

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

export async function runChaosGateway(_flags: ChaosGatewayFlags): Promise<ExitCode> {
  notBuiltYet('chaos gateway');
}
