import type { Suite } from '../core/schema.ts';

/**
 * Deployment facts shared by the CDK app and the cost estimate, kept free of aws-cdk-lib so the CLI
 * (`opsproof infra cost`) loads fast.
 */

/** Memory of one canary run: Synthetics' minimum is 960 MB; Chromium is comfortable with 1 GiB. */
export const CANARY_MEMORY_MB = 1024;

/** Environments deployed by infra: those whose provider is aws. */
export function awsEnvironmentNames(suite: Suite): string[] {
  return Object.entries(suite.environments)
    .filter(([, env]) => env.provider === 'aws')
    .map(([name]) => name);
}

/** `opsproof-demo` + `staging` → `OpsproofDemo-Staging`. */
export function stackName(service: string, envName: string): string {
  return `${pascal(service)}-${pascal(envName)}`;
}

function pascal(s: string): string {
  return s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}
