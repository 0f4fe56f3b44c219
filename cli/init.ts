import { resolve } from 'node:path';
import type { Command } from 'commander';
import { EXIT, type ExitCode, UsageError } from '../core/errors.ts';
import { parseUrlFlag, printHuman, validateUsage } from './command-kit.ts';

export interface InitFlags {
  url?: string;
  openapi?: string;
  start?: string;
  staging?: string;
  region?: string;
  dir: string;
  force?: boolean;
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description(
      'a suite for your own service, from a URL and/or an OpenAPI document (never overwrites without --force)',
    )
    .option('--url <url>', 'the running service to probe (HTML page → browser canary, JSON → API canaries)')
    .option(
      '--openapi <file|url>',
      'OpenAPI 3 / Swagger 2 document: API canaries and load over its safe operations',
    )
    .option(
      '--start <command>',
      "opsproof starts the service for each run, e.g. 'node server.js --port {port}'",
    )
    .option('--staging <url>', "the service's staging URL: an aws environment for synth, diff and deploy")
    .option('--region <region>', 'AWS region of --staging (default: AWS_REGION, else eu-west-1)')
    .option('--dir <dir>', 'folder to write into', '.')
    .option('--force', 'overwrite files init would write')
    .action(async (flags: InitFlags) => {
      process.exitCode = await runInit(flags);
    });
}

export async function runInit(flags: InitFlags): Promise<ExitCode> {
  validateUsage([
    () => flags.url && parseUrlFlag(flags.url),
    () => flags.staging && parseUrlFlag(flags.staging),
    () => {
      if (flags.region && !flags.staging) throw new UsageError('--region applies to --staging only');
    },
  ]);
  const { initService } = await import('../scaffold/init-service.ts');
  const outcome = await initService({
    ...(flags.url ? { url: flags.url } : {}),
    ...(flags.openapi ? { openapi: flags.openapi } : {}),
    ...(flags.start ? { start: flags.start } : {}),
    ...(flags.staging ? { staging: flags.staging } : {}),
    ...(flags.region ? { region: flags.region } : {}),
    dir: flags.dir,
    cwd: process.cwd(),
    force: flags.force ?? false,
  });
  const { input } = outcome;
  const lines = [
    `init: a suite for ${input.service} (${input.target}${input.start ? `, started with ${input.start.join(' ')}` : ''})`,
    ...outcome.written.map((f) => `  wrote ${f}`),
    `  ${input.requests.length} API request(s), ${input.pages.length} web page(s), ready on ${input.readyPath}`,
    ...outcome.skipped.map((s) => `  left out ${s.operation}: ${s.reason}`),
    `next: ${resolve(flags.dir) === process.cwd() ? '' : `cd ${flags.dir}, then `}opsproof check, then opsproof gate`,
  ];
  printHuman(lines.join('\n'));
  return EXIT.passed;
}
