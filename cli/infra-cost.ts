import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { printHuman } from './command-kit.ts';

export interface InfraCostFlags {
  env?: string;
  config?: string;
  json?: boolean;
  drillsPerQuarter: string;
  gateRuns: string;
  notifications: string;
}

/** `opsproof infra cost [--env E]`: the monthly cost of what infra/ deploys per environment. */
export function registerInfraCost(program: Command): void {
  const infra = program.command('infra').description('the CDK app in infra/: what it deploys and costs');
  infra
    .command('cost')
    .description("estimate each aws environment's monthly cost (canary runs, alarms, dashboards, FIS, SNS)")
    .option('--env <name>', 'only this environment (default: every aws environment)')
    .option('--config <file>', 'config file (default: ./opsproof.config.ts)')
    .option('--drills-per-quarter <n>', 'how often each drill runs per quarter', '1')
    .option('--gate-runs <n>', 'gate runs per month that run the experiments through FIS', '0')
    .option('--notifications <n>', 'alarm notifications (state changes) per month', '50')
    .option('--json', 'print the breakdowns as JSON on stdout')
    .action(async (flags: InfraCostFlags) => {
      process.exitCode = await runInfraCost(flags);
    });
}

function count(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${flag} expects a number ≥ 0, got "${value}"`);
  return n;
}

export async function runInfraCost(flags: InfraCostFlags): Promise<0> {
  const assumptions = {
    drillsPerQuarter: count('drills-per-quarter', flags.drillsPerQuarter),
    fisGateRunsPerMonth: count('gate-runs', flags.gateRuns),
    notificationsPerMonth: count('notifications', flags.notifications),
  };
  const [{ loadCanaries }, { loadSuite }, { awsEnvironmentNames }, { estimateCost, formatCostBreakdown }] =
    await Promise.all([
      import('../canaries/load-canaries.ts'),
      import('../core/load-config.ts'),
      import('../infra/deployment-settings.ts'),
      import('../infra/estimate-cost.ts'),
    ]);
  const loaded = await loadSuite({ ...(flags.config ? { config: flags.config } : {}) });
  const names = flags.env ? [flags.env] : awsEnvironmentNames(loaded.suite);
  if (names.length === 0) throw new UsageError('no environment with provider "aws": nothing is deployed');
  for (const name of names) {
    if (!loaded.suite.environments[name]) {
      throw new UsageError(
        `unknown environment "${name}"; expected one of ${Object.keys(loaded.suite.environments).join(', ')}`,
      );
    }
  }
  const { canaries } = await loadCanaries(loaded);
  const forCost = canaries.map((c) => ({
    name: c.definition.options.name,
    schedule: c.definition.options.schedule ?? loaded.suite.canaries.schedule,
    type: c.definition.options.type,
  }));
  const breakdowns = names.map((name) => estimateCost(loaded.suite, name, forCost, { assumptions }));
  printHuman(breakdowns.map(formatCostBreakdown).join('\n\n'));
  if (flags.json) process.stdout.write(`${JSON.stringify(breakdowns, null, 2)}\n`);
  return 0;
}
