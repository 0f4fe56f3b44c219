/**
 * The CDK app: `npm run synth` (tsx infra/app.ts) or `npx cdk deploy --app "npx tsx infra/app.ts"`.
 * Loads the suite, packages its canaries with `packageCanaries` (canaries/), and synthesizes one stack
 * per aws environment into cdk.out/. Needs no AWS credentials and no network.
 */
import { resolve } from 'node:path';
import { packageCanaries } from '../canaries/package-canaries.ts';
import { loadSuite } from '../core/load-config.ts';
import { collectNagFindings } from './collect-nag-findings.ts';
import { createOpsproofApp } from './create-app.ts';

const outdir = process.env.CDK_OUTDIR ?? 'cdk.out';
const loaded = await loadSuite({
  ...(process.env.OPSPROOF_CONFIG ? { config: process.env.OPSPROOF_CONFIG } : {}),
});
const packaged = await packageCanaries({ loaded, outDir: resolve(outdir, 'canary-packages') });
// OPSPROOF_DEV_FROM=staging adds a relaxed `dev` stack built from that environment.
const devFrom = process.env.OPSPROOF_DEV_FROM;
const { app, stacks } = createOpsproofApp({
  suite: loaded.suite,
  canaries: packaged,
  outdir,
  ...(devFrom ? { devFrom } : {}),
});
const assembly = app.synth();

const errors = collectNagFindings(assembly).filter((f) => f.level === 'error');
for (const stack of stacks) {
  process.stderr.write(`synthesized ${stack.stackName} → ${outdir}/${stack.artifactId}.template.json\n`);
}
if (errors.length > 0) {
  for (const e of errors) process.stderr.write(`cdk-nag error: ${e.path}: ${e.message}\n`);
  process.exitCode = 1;
}
