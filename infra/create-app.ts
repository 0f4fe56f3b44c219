import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { resolveEnvironment } from '../core/load-config.ts';
import type { Suite } from '../core/schema.ts';
import { awsEnvironmentNames, stackName } from './deployment-settings.ts';
import { OpsproofStack } from './opsproof-stack.ts';
import type { PackagedCanary } from './synthetics-canaries.ts';

export interface CreateAppOptions {
  suite: Suite;
  canaries: PackagedCanary[];
  /** @defaultValue 'cdk.out' */
  outdir?: string;
  /** Only these environments (default: every environment whose provider is aws). */
  envNames?: string[];
  /** Run the cdk-nag AwsSolutions checks. @defaultValue true */
  nag?: boolean;
}

/** The CDK app: one stack per aws environment of the suite, checked by cdk-nag. */
export function createOpsproofApp(options: CreateAppOptions): { app: App; stacks: OpsproofStack[] } {
  // No CDKMetadata resource: templates stay byte-stable across library versions (snapshot, alarm tests).
  const app = new App({ outdir: options.outdir ?? 'cdk.out', analyticsReporting: false });
  const names = options.envNames ?? awsEnvironmentNames(options.suite);
  const stacks = names.map((name) => {
    const env = resolveEnvironment(options.suite, name);
    return new OpsproofStack(app, stackName(options.suite.service, name), {
      suite: options.suite,
      env,
      envName: name,
      canaries: options.canaries,
    });
  });
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stacks };
}

export { awsEnvironmentNames, stackName };
