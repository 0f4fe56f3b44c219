import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { type ExitCode, UsageError } from '../core/errors.ts';
import { addCommonFlags, type CommonFlags, loadCommandContext, printHuman } from './command-kit.ts';

export interface LoadK6Flags extends CommonFlags {
  parallelism?: string;
  url?: string;
}

export function registerLoadK6(load: Command): void {
  const command = load
    .command('k6')
    .description('write a k6 script and a k6-operator TestRun manifest for a load profile')
    .argument('[name]', 'load profile from the config (default: load.default)');
  addCommonFlags(command, { json: false });
  command
    .option('--parallelism <n>', 'k6 runners in the k6-operator TestRun (each takes an equal share)', '1')
    .option('--url <url>', 'target URL for the TestRun (default: the environment target)');
  command.action(async (name: string | undefined, flags: LoadK6Flags) => {
    process.exitCode = await runLoadK6(name, flags);
  });
}

export async function runLoadK6(name: string | undefined, flags: LoadK6Flags): Promise<ExitCode> {
  if (!flags.out) throw new UsageError('--out DIR is required: where the script and TestRun manifest go');
  const parallelism = Number(flags.parallelism ?? '1');
  if (!Number.isInteger(parallelism) || parallelism < 1) {
    throw new UsageError(`--parallelism must be a whole number of at least 1, got "${flags.parallelism}"`);
  }
  const { loaded, env } = await loadCommandContext(flags);
  const [{ buildK6Script }, { buildTestRunManifest }, { buildKpiThresholds }] = await Promise.all([
    import('../load/build-k6-script.ts'),
    import('../load/build-test-run.ts'),
    import('../load/evaluate-kpis.ts'),
  ]);
  const profileName = name ?? loaded.suite.load.default;
  const profile = profileName ? loaded.suite.load.profiles[profileName] : undefined;
  if (!profileName || !profile) {
    const known = Object.keys(loaded.suite.load.profiles);
    throw new UsageError(
      profileName ? `no load profile "${profileName}"` : 'no profile named and no load.default',
      {
        hint: known.length ? `profiles: ${known.join(', ')}` : 'define one under load.profiles',
      },
    );
  }
  const thresholds = buildKpiThresholds(loaded.suite.kpis, env.kpis, profile.thresholds);
  const target = flags.url ?? env.target;
  const scriptFile = `${profileName}.k6.ts`;
  const script = buildK6Script(profile, { name: profileName, thresholds, target });
  const dir = resolve(flags.out);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, scriptFile), script);
  const manifestFile = `${profileName}.testrun.yaml`;
  writeFileSync(
    join(dir, manifestFile),
    buildTestRunManifest({ name: profileName, scriptFile, script, parallelism, target }),
  );
  printHuman(
    [
      `wrote ${join(flags.out, scriptFile)} and ${join(flags.out, manifestFile)}`,
      `  local:        k6 run -e TARGET=${target} ${join(flags.out, scriptFile)}`,
      `  k6-operator:  kubectl apply -f ${join(flags.out, manifestFile)}`,
      `  Grafana k6:   k6 cloud run -e TARGET=${target} ${join(flags.out, scriptFile)}`,
    ].join('\n'),
  );
  return 0;
}
