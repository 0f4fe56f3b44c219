import { Annotations, Duration, Size, aws_s3 as s3, aws_synthetics as synthetics } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { PackagedCanary as FullPackagedCanary } from '../canaries/package-canaries.ts';
import { parseDuration } from '../core/duration.ts';
import type { CanariesConfig } from '../core/schema.ts';
import { CANARY_MEMORY_MB } from './deployment-settings.ts';

/** What `packageCanaries` (canaries/package-canaries.ts) returns for one canary: the fields infra uses. */
export type PackagedCanary = Pick<
  FullPackagedCanary,
  'name' | 'zipPath' | 'handler' | 'runtimeVersion' | 'schedule'
>;

/**
 * The Playwright runtime pinned for deployed canaries: the newest `syn-nodejs-playwright-*` constant
 * of the installed aws-cdk-lib (2.276.0 has 1.0 … 6.0; 6.0 ships Playwright 1.58.2). A package built
 * for another Playwright runtime keeps its own runtime, with a synth warning.
 */
export const PINNED_CANARY_RUNTIME = synthetics.Runtime.SYNTHETICS_NODEJS_PLAYWRIGHT_6_0;

export interface SyntheticsCanariesProps {
  canaries: PackagedCanary[];
  config: CanariesConfig;
  /** `aws.canaryPrefix`. */
  prefix: string;
  envName: string;
  target: string;
}

/** Synthetics canaries of one environment and their artifacts bucket. */
export class SyntheticsCanaries extends Construct {
  readonly bucket: s3.Bucket;
  /** suite canary name → deployed canary. */
  readonly canaries = new Map<string, synthetics.Canary>();

  constructor(scope: Construct, id: string, props: SyntheticsCanariesProps) {
    super(scope, id);
    const retentionDays = props.config.artifactRetentionDays;
    this.bucket = new s3.Bucket(this, 'Artifacts', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [
        { id: 'expire-canary-artifacts', expiration: Duration.days(retentionDays) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    const timeoutMs = parseDuration(props.config.timeout) ?? 60_000;
    for (const canary of props.canaries) {
      const deployedName = deployedCanaryName(props.prefix, canary.name);
      const runtime = canary.runtimeVersion.startsWith('syn-nodejs-playwright-')
        ? new synthetics.Runtime(canary.runtimeVersion, synthetics.RuntimeFamily.NODEJS)
        : PINNED_CANARY_RUNTIME;
      const construct = new synthetics.Canary(this, `Canary-${canary.name}`, {
        canaryName: deployedName,
        runtime,
        test: synthetics.Test.custom({
          code: synthetics.Code.fromAsset(canary.zipPath),
          handler: canary.handler,
        }),
        schedule: synthetics.Schedule.expression(canary.schedule || props.config.schedule),
        maxRetries: props.config.retries,
        timeout: Duration.millis(timeoutMs),
        memory: Size.mebibytes(CANARY_MEMORY_MB),
        environmentVariables: {
          OPSPROOF_ENV: props.envName,
          OPSPROOF_BASE_URL: props.target.replace(/\/+$/, ''),
        },
        artifactsBucketLocation: { bucket: this.bucket, prefix: deployedName },
        successRetentionPeriod: Duration.days(Math.min(retentionDays, 455)),
        failureRetentionPeriod: Duration.days(Math.min(retentionDays, 455)),
        provisionedResourceCleanup: true,
      });
      if (runtime.name !== PINNED_CANARY_RUNTIME.name) {
        Annotations.of(construct).addWarningV2(
          'opsproof:canary-runtime',
          `canary ${canary.name} was packaged for ${runtime.name}; infra pins ${PINNED_CANARY_RUNTIME.name}`,
        );
      }
      this.canaries.set(canary.name, construct);
    }
  }
}

/** The deployed name: prefix + suite name, as Synthetics accepts it (lowercase, digits, - and _). */
export function deployedCanaryName(prefix: string, name: string): string {
  const deployed = `${prefix}${name}`;
  if (!/^[0-9a-z_-]{1,255}$/.test(deployed)) {
    throw new Error(
      `canary name "${deployed}" is not a valid Synthetics name (lowercase letters, digits, - and _, at most 255)`,
    );
  }
  return deployed;
}
