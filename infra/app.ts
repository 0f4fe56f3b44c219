/**
 * The CDK app: `npm run synth` (tsx infra/app.ts) or `npx cdk deploy --app "npx tsx infra/app.ts"`.
 * Loads the suite, packages its canaries with `packageCanaries` (canaries/), and synthesizes one stack
 * per aws environment into cdk.out/. Needs no AWS credentials and no network.
 */
import { resolve } from 'node:path';
import { type LoadedSuite, loadSuite } from '../core/load-config.ts';
import { collectNagFindings } from './collect-nag-findings.ts';
import { createOpsproofApp } from './create-app.ts';
import type { PackagedCanary } from './synthetics-canaries.ts';

type PackageCanaries = (options: { loaded: LoadedSuite; outDir: string }) => Promise<PackagedCanary[]>;

/** canaries/package-canaries.ts (canaries team), imported by path so infra type-checks before it lands. */
async function loadPackager(): Promise<PackageCanaries> {
  const specifier = '../canaries/package-canaries.ts';
  const mod = (await import(specifier)) as { packageCanaries?: PackageCanaries };
  if (typeof mod.packageCanaries !== 'function') throw new Error(`${specifier} exports no packageCanaries`);
  return mod.packageCanaries;
}

const outdir = process.env.CDK_OUTDIR ?? 'cdk.out';
const loaded = await loadSuite({
  ...(process.env.OPSPROOF_CONFIG ? { config: process.env.OPSPROOF_CONFIG } : {}),
});
const packageCanaries = await loadPackager();
const packaged = await packageCanaries({ loaded, outDir: resolve(outdir, 'canary-packages') });
const { app, stacks } = createOpsproofApp({ suite: loaded.suite, canaries: packaged, outdir });
const assembly = app.synth();

const errors = collectNagFindings(assembly).filter((f) => f.level === 'error');
for (const stack of stacks) {
  process.stderr.write(`synthesized ${stack.stackName} → ${outdir}/${stack.artifactId}.template.json\n`);
}
if (errors.length > 0) {
  for (const e of errors) process.stderr.write(`cdk-nag error: ${e.path}: ${e.message}\n`);
  process.exitCode = 1;
}
