import {
  Annotations,
  ArnFormat,
  Duration,
  aws_iam as iam,
  Size,
  Stack,
  aws_s3 as s3,
  aws_synthetics as synthetics,
  Tags,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  type PackagedCanary as FullPackagedCanary,
  headerSecrets,
  type PackageEnvironment,
  secretRefsOf,
} from '../canaries/package-canaries.ts';
import { parseDuration } from '../core/duration.ts';
import type { CanariesConfig, Environment, SecretRef } from '../core/schema.ts';
import { CANARY_MEMORY_MB } from './deployment-settings.ts';
import { skipCheckov } from './nag-suppressions.ts';

/** What `packageCanaries` (canaries/package-canaries.ts) returns for one canary: the fields infra uses. */
export type PackagedCanary = Pick<
  FullPackagedCanary,
  'name' | 'zipPath' | 'handler' | 'runtimeVersion' | 'schedule'
> &
  Partial<Pick<FullPackagedCanary, 'retries' | 'timeout' | 'memoryMb' | 'tags' | 'target'>>;

/** The canary's subnets and security groups (`aws.vpc` of the environment). */
export type CanaryVpc = NonNullable<NonNullable<Environment['aws']>['vpc']>;

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
  /** The environment's default target URL. */
  target: string;
  /** URLs of the environment's named targets: a canary that names one runs against it. */
  targets?: Readonly<Record<string, string>>;
  /** The environment's headers and the secrets they reference: read by the canary when it runs. */
  environment?: PackageEnvironment;
  /** Run the canaries in these subnets (private services). */
  vpc?: CanaryVpc;
}

/** The URL a deployed canary runs against: its named target's, else the environment's default. */
export function canaryTarget(
  props: Pick<SyntheticsCanariesProps, 'target' | 'targets'>,
  canary: Pick<PackagedCanary, 'name' | 'target'>,
): string {
  if (canary.target === undefined) return props.target;
  const url = props.targets?.[canary.target];
  if (url === undefined)
    throw new Error(
      `canary ${canary.name} names target "${canary.target}", which has no URL in this environment (${Object.keys(props.targets ?? {}).join(', ') || 'no named targets'})`,
    );
  return url;
}

/** Synthetics canaries of one environment and their artifacts bucket. */
export class SyntheticsCanaries extends Construct {
  readonly bucket: s3.Bucket;
  /** Server access logs of the artifacts bucket. */
  readonly accessLogs: s3.Bucket;
  /** suite canary name → deployed canary. */
  readonly canaries = new Map<string, synthetics.Canary>();

  constructor(scope: Construct, id: string, props: SyntheticsCanariesProps) {
    super(scope, id);
    const retentionDays = props.config.artifactRetentionDays;
    // Kept like a monitor's evidence: versioned (an overwritten or deleted artifact stays recoverable
    // until the lifecycle expires it), every access logged to a bucket of its own.
    this.accessLogs = new s3.Bucket(this, 'ArtifactAccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: Duration.days(Math.max(retentionDays, 90)),
          noncurrentVersionExpiration: Duration.days(1),
        },
      ],
    });
    skipCheckov(this.accessLogs, {
      CKV_AWS_18:
        'This bucket receives the server access logs of the canary artifacts bucket; logging it to itself would loop and to a third bucket would only log the log reads.',
    });
    this.bucket = new s3.Bucket(this, 'Artifacts', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'artifacts/',
      lifecycleRules: [
        {
          id: 'expire-canary-artifacts',
          expiration: Duration.days(retentionDays),
          noncurrentVersionExpiration: Duration.days(7),
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    const secrets = props.environment ? headerSecrets(props.environment) : {};
    const headerVariables =
      Object.keys(props.environment?.headers ?? {}).length > 0
        ? {
            // References only (`${secret:NAME}`, names and ARNs): the canary reads the values when it runs.
            OPSPROOF_HEADERS: JSON.stringify(props.environment?.headers),
            ...(Object.keys(secrets).length > 0 ? { OPSPROOF_SECRETS: JSON.stringify(secrets) } : {}),
          }
        : {};
    const readSecrets = secretReadStatements(this, secrets);
    const eniStatements = props.vpc ? vpcStatements(this, props.vpc) : [];

    for (const canary of props.canaries) {
      const deployedName = deployedCanaryName(props.prefix, canary.name);
      const runtime = canary.runtimeVersion.startsWith('syn-nodejs-playwright-')
        ? new synthetics.Runtime(canary.runtimeVersion, synthetics.RuntimeFamily.NODEJS)
        : PINNED_CANARY_RUNTIME;
      const timeoutMs = parseDuration(canary.timeout ?? props.config.timeout) ?? 60_000;
      const construct = new synthetics.Canary(this, `Canary-${canary.name}`, {
        canaryName: deployedName,
        runtime,
        test: synthetics.Test.custom({
          code: synthetics.Code.fromAsset(canary.zipPath),
          handler: canary.handler,
        }),
        schedule: synthetics.Schedule.expression(canary.schedule || props.config.schedule),
        maxRetries: canary.retries ?? props.config.retries,
        timeout: Duration.millis(timeoutMs),
        memory: Size.mebibytes(canary.memoryMb ?? CANARY_MEMORY_MB),
        environmentVariables: {
          OPSPROOF_ENV: props.envName,
          OPSPROOF_BASE_URL: canaryTarget(props, canary).replace(/\/+$/, ''),
          ...headerVariables,
        },
        artifactsBucketLocation: { bucket: this.bucket, prefix: deployedName },
        successRetentionPeriod: Duration.days(Math.min(retentionDays, 455)),
        failureRetentionPeriod: Duration.days(Math.min(retentionDays, 455)),
        provisionedResourceCleanup: true,
      });
      for (const statement of [...readSecrets, ...eniStatements])
        construct.role.addToPrincipalPolicy(statement);
      for (const [key, value] of Object.entries(canary.tags ?? {})) Tags.of(construct).add(key, value);
      if (props.vpc) {
        const cfn = construct.node.defaultChild as synthetics.CfnCanary;
        cfn.vpcConfig = {
          subnetIds: props.vpc.subnetIds,
          securityGroupIds: props.vpc.securityGroupIds,
          ...(props.vpc.ipv6AllowedForDualStack ? { ipv6AllowedForDualStack: true } : {}),
        };
      }
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

/** The ARN of an SSM parameter or Secrets Manager secret given by name or ARN. */
function secretArn(scope: Construct, ref: { ssm: string } | { secretsManager: string }): string {
  const id = 'ssm' in ref ? ref.ssm : ref.secretsManager;
  if (id.startsWith('arn:')) return id;
  const stack = Stack.of(scope);
  if ('ssm' in ref) {
    return stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: id.replace(/^\//, '') });
  }
  // Secrets Manager appends six random characters to a secret's ARN: AWS's documented pattern for names.
  return stack.formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${id}-??????`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** Read on exactly the referenced secrets and parameters, and decrypt on their customer keys. */
function secretReadStatements(scope: Construct, secrets: Record<string, SecretRef>): iam.PolicyStatement[] {
  const refs = secretRefsOf(secrets);
  const statements: iam.PolicyStatement[] = [];
  if (refs.secretsManager.length > 0)
    statements.push(
      new iam.PolicyStatement({
        sid: 'ReadHeaderSecrets',
        actions: ['secretsmanager:GetSecretValue'],
        resources: refs.secretsManager.map((secretsManager) => secretArn(scope, { secretsManager })),
      }),
    );
  if (refs.ssm.length > 0)
    statements.push(
      new iam.PolicyStatement({
        sid: 'ReadHeaderParameters',
        actions: ['ssm:GetParameter'],
        resources: refs.ssm.map((ssm) => secretArn(scope, { ssm })),
      }),
    );
  const keys = [
    ...new Set(Object.values(secrets).flatMap((r) => ('kmsKey' in r && r.kmsKey ? [r.kmsKey] : []))),
  ];
  if (keys.length > 0)
    statements.push(
      new iam.PolicyStatement({ sid: 'DecryptHeaderSecrets', actions: ['kms:Decrypt'], resources: keys }),
    );
  return statements;
}

/**
 * What Lambda needs to attach a canary to the VPC (the three actions of AWS's VPC canary
 * requirements), scoped to the given subnets and security groups where IAM allows it.
 */
function vpcStatements(scope: Construct, vpc: CanaryVpc): iam.PolicyStatement[] {
  const stack = Stack.of(scope);
  const ec2 = (resource: string, name: string) =>
    stack.formatArn({ service: 'ec2', resource, resourceName: name });
  return [
    new iam.PolicyStatement({
      sid: 'CreateCanaryNetworkInterfaces',
      actions: ['ec2:CreateNetworkInterface'],
      resources: [
        ec2('network-interface', '*'),
        ...vpc.subnetIds.map((id) => ec2('subnet', id)),
        ...vpc.securityGroupIds.map((id) => ec2('security-group', id)),
      ],
    }),
    new iam.PolicyStatement({
      sid: 'DeleteCanaryNetworkInterfaces',
      actions: ['ec2:DeleteNetworkInterface'],
      resources: [ec2('network-interface', '*')],
      conditions: {
        'ForAnyValue:StringEquals': { 'ec2:Subnet': vpc.subnetIds.map((id) => ec2('subnet', id)) },
      },
    }),
    new iam.PolicyStatement({
      sid: 'DescribeNetworkInterfaces',
      actions: ['ec2:DescribeNetworkInterfaces'],
      resources: ['*'],
    }),
  ];
}
