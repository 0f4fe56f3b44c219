import type { Command } from 'commander';
import type { ExitCode } from '../core/errors.ts';
import { addCommonFlags, type CommonFlags, loadCommandContext, printHuman } from './command-kit.ts';

export type CanaryStatusFlags = CommonFlags;

export function registerCanaryStatus(canary: Command): void {
  const command = canary.command('status').description('deployed canaries and their last runs');
  addCommonFlags(command, { out: false });
  command.action(async (flags: CanaryStatusFlags) => {
    process.exitCode = await runCanaryStatus(flags);
  });
}

export async function runCanaryStatus(flags: CanaryStatusFlags): Promise<ExitCode> {
  const { env } = await loadCommandContext(flags);
  const { fetchDeployedCanaries } = await import('../canaries/deployed-canaries.ts');
  const deployed = await fetchDeployedCanaries(env);
  if (flags.json) process.stdout.write(`${JSON.stringify(deployed, null, 2)}\n`);
  if (deployed.length === 0)
    printHuman(`no deployed canaries named ${env.aws?.canaryPrefix ?? ''}* in ${env.name}`);
  for (const c of deployed) {
    printHuman(`${c.name}  ${c.state ?? '?'}  ${c.schedule ?? ''}  ${c.runtimeVersion ?? ''}`);
    if (c.runs.length === 0) printHuman('  no runs yet');
    for (const r of c.runs) {
      const verdict = r.status === 'passed' ? 'PASS' : r.status === 'failed' ? 'FAIL' : 'RUNNING';
      printHuman(`  ${verdict}  ${r.completedAt ?? r.startedAt ?? ''}${r.reason ? `  ${r.reason}` : ''}`);
    }
  }
  const failing = deployed.some((c) => c.runs.find((r) => r.status !== 'running')?.status === 'failed');
  return failing ? 1 : 0;
}
