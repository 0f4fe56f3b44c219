import type { Command } from 'commander';
import type { ExitCode } from '../core/errors.ts';
import { addCommonFlags, type CommonFlags, loadCommandContext, printHuman } from './command-kit.ts';

export type CanaryPackageFlags = CommonFlags;

export function registerCanaryPackage(canary: Command): void {
  const command = canary
    .command('package')
    .description('bundle canaries into zips for CloudWatch Synthetics');
  addCommonFlags(command);
  command.action(async (flags: CanaryPackageFlags) => {
    process.exitCode = await runCanaryPackage(flags);
  });
}

export async function runCanaryPackage(flags: CanaryPackageFlags): Promise<ExitCode> {
  const { packageCanaries, SUPPORTED_RUNTIME_VERSIONS } = await import('../canaries/package-canaries.ts');
  const { loaded, env } = await loadCommandContext(flags);
  // A deployed canary reads OPSPROOF_BASE_URL; an aws environment's target is baked in as the default.
  const packaged = await packageCanaries({
    loaded,
    outDir: flags.out ?? 'dist/canaries',
    ...(env.provider === 'aws' ? { baseUrl: env.target, env: env.name } : {}),
    // Its headers too, with secret references (never values) the canary reads when it runs.
    ...(env.provider === 'aws' && env.headers
      ? { environment: { name: env.name, headers: env.headers, secrets: env.secrets, region: env.region } }
      : {}),
  });
  for (const p of packaged) {
    printHuman(
      `${p.name}: ${p.zipPath} (${(p.bytes / 1024).toFixed(1)} KiB, ${p.type}, handler ${p.handler}, ${p.schedule})`,
    );
  }
  printHuman(
    `${packaged.length} zip${packaged.length === 1 ? '' : 's'} for ${SUPPORTED_RUNTIME_VERSIONS.join(' / ')}`,
  );
  if (flags.json) process.stdout.write(`${JSON.stringify(packaged, null, 2)}\n`);
  return 0;
}
