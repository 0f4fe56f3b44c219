import type { Command } from 'commander';
import type { ExitCode } from '../core/errors.ts';
import { notBuiltYet } from './command-kit.ts';

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

export async function runDemo(_flags: DemoFlags): Promise<ExitCode> {
  notBuiltYet('demo');
}
