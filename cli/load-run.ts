import { type Command, Option } from 'commander';
import type { ExitCode } from '../core/errors.ts';
import { addCommonFlags, type CommonFlags, collect, notBuiltYet } from './command-kit.ts';

export interface LoadRunFlags extends CommonFlags {
  url?: string;
  rate?: string;
  duration?: string;
  connections?: string;
  engine?: 'open' | 'autocannon' | 'k6';
  kpi?: string[];
  baseline?: string;
}

export function registerLoadRun(load: Command): void {
  const command = load
    .command('run')
    .description('run a load profile and hold it to KPIs')
    .argument('[name]', 'load profile from the config (default: load.default)');
  addCommonFlags(command);
  command
    .option('--url <url>', 'target URL instead of the environment target')
    .option('--rate <n>', 'arrival rate in requests per second (open model)')
    .option('--duration <duration>', 'measured duration, e.g. 30s')
    .option('--connections <n>', 'connections (closed model)')
    .addOption(new Option('--engine <engine>', 'load engine').choices(['open', 'autocannon', 'k6']))
    .option('--kpi <expr>', "KPI in k6 syntax, e.g. 'p(95)<300' (repeatable)", collect)
    .option('--baseline <file>', 'result.json of an earlier run to compare against')
    .action(async (name: string | undefined, flags: LoadRunFlags) => {
      process.exitCode = await runLoadRun(name, flags);
    });
}

export async function runLoadRun(_name: string | undefined, _flags: LoadRunFlags): Promise<ExitCode> {
  notBuiltYet('load run');
}
