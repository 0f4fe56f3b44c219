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
  /**
   * Also deploy a `dev` stack: this environment's target and resources with the relaxed dev tier,
   * its own alarm prefix (`<service>-dev-`) and canary prefix (`dev-` + the environment's).
   */
  devFrom?: string;
}

/** The CDK app: one stack per aws environment of the suite, checked by cdk-nag. */
export function createOpsproofApp(options: CreateAppOptions): { app: App; stacks: OpsproofStack[] } {
  // No CDKMetadata resource: templates stay byte-stable across library versions (snapshot, alarm tests).
  const app = new App({
    outdir: options.outdir ?? 'cdk.out',
    analyticsReporting: false,
    // Server access logs are granted by a bucket policy, not the LogDeliveryWrite ACL: the log bucket
    // keeps ACLs disabled (AWS's recommendation since 2023).
    context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true },
  });
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
  if (options.devFrom) {
    if (options.suite.environments.dev) {
      throw new Error(`the suite already has an environment "dev"; drop devFrom (${options.devFrom})`);
    }
    const base = resolveEnvironment(options.suite, options.devFrom);
    const env = {
      ...base,
      name: 'dev',
      tier: 'dev' as const,
      production: false,
      aws: {
        ...base.aws,
        alarmPrefix: `${options.suite.service}-dev-`,
        canaryPrefix: `dev-${base.aws?.canaryPrefix ?? ''}`,
      },
    };
    stacks.push(
      new OpsproofStack(app, stackName(options.suite.service, 'dev'), {
        suite: options.suite,
        env,
        envName: 'dev',
        tier: 'dev',
        canaries: options.canaries,
      }),
    );
  }
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stacks };
}

export { awsEnvironmentNames, stackName };
