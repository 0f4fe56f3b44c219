import { resolve } from 'node:path';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { packageCanaries } from '../canaries/package-canaries.ts';
import type { LoadedSuite } from '../core/load-config.ts';
import { collectNagFindings, type NagFinding } from './collect-nag-findings.ts';
import { createOpsproofApp } from './create-app.ts';

export interface SynthSuiteOptions {
  loaded: LoadedSuite;
  /** Where the cloud assembly (templates, canary zips) is written. */
  outdir: string;
  /** Only these environments (default: every environment whose provider is aws). */
  envNames?: string[];
  /** Also a relaxed `dev` stack built from this environment (see {@link createOpsproofApp}). */
  devFrom?: string;
}

export interface SynthesizedSuite {
  assembly: CloudAssembly;
  stacks: { stackName: string; templateFile: string }[];
  /** cdk-nag findings at level error: the templates are written, but should not be deployed. */
  nagErrors: NagFinding[];
}

/**
 * The CDK app of a loaded suite, synthesized: packages its canaries into `outdir/canary-packages`
 * and writes one stack per aws environment. The one entry used by `infra/app.ts` and `opsproof synth`.
 */
export async function synthSuite(options: SynthSuiteOptions): Promise<SynthesizedSuite> {
  const outdir = resolve(options.outdir);
  const canaries = await packageCanaries({
    loaded: options.loaded,
    outDir: resolve(outdir, 'canary-packages'),
  });
  const { app, stacks } = createOpsproofApp({
    suite: options.loaded.suite,
    canaries,
    outdir,
    ...(options.envNames ? { envNames: options.envNames } : {}),
    ...(options.devFrom ? { devFrom: options.devFrom } : {}),
  });
  const assembly = app.synth();
  return {
    assembly,
    stacks: stacks.map((s) => ({
      stackName: s.stackName,
      templateFile: resolve(outdir, `${s.artifactId}.template.json`),
    })),
    nagErrors: collectNagFindings(assembly).filter((f) => f.level === 'error'),
  };
}
