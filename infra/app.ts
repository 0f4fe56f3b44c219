/**
 * The CDK app of opsproof's own checkout: `npm run synth` (tsx infra/app.ts). From any repository,
 * `opsproof synth | diff | deploy` (cli/cdk.ts) runs the same app through AWS's CDK toolkit library.
 * Loads the suite, packages its canaries, and synthesizes one stack per aws environment into cdk.out/.
 * Needs no AWS credentials and no network.
 */
import { loadSuite } from '../core/load-config.ts';
import { synthSuite } from './synth-suite.ts';

const outdir = process.env.CDK_OUTDIR ?? 'cdk.out';
const loaded = await loadSuite({
  ...(process.env.OPSPROOF_CONFIG ? { config: process.env.OPSPROOF_CONFIG } : {}),
});
// OPSPROOF_DEV_FROM=staging adds a relaxed `dev` stack built from that environment.
const devFrom = process.env.OPSPROOF_DEV_FROM;
const { stacks, nagErrors } = await synthSuite({ loaded, outdir, ...(devFrom ? { devFrom } : {}) });

for (const stack of stacks) process.stderr.write(`synthesized ${stack.stackName} → ${stack.templateFile}\n`);
if (nagErrors.length > 0) {
  for (const e of nagErrors) process.stderr.write(`cdk-nag error: ${e.path}: ${e.message}\n`);
  process.exitCode = 1;
}
