import {
  Duration,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_s3 as s3,
  aws_ssm as ssm,
  Tags,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { skipCheckov } from './nag-suppressions.ts';

/** Folder of the configuration bucket FIS writes fault configurations to and the extension reads. */
export const FIS_CONFIG_PREFIX = 'FisConfigs/';

/**
 * Public SSM parameters holding the regional ARN of the AWS FIS Lambda extension layer
 * (AWS FIS user guide, "Available versions of the AWS FIS extension for Lambda"). Resolved by
 * CloudFormation at deploy time, so synthesis needs no credentials and no per-region table.
 */
export const FIS_EXTENSION_LAYER_PARAMETER = {
  x86_64: '/aws/service/fis/lambda-extension/AWS-FIS-extension-x86_64/1.x.x',
  arm64: '/aws/service/fis/lambda-extension/AWS-FIS-extension-arm64/1.x.x',
} as const;

/** The extension is started through Lambda's exec wrapper. */
export const FIS_EXEC_WRAPPER = '/opt/aws-fis/bootstrap';

/** The bucket through which FIS and the Lambda extension exchange fault configurations (one per region). */
export class FisLambdaConfig extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // Configurations only matter while an experiment runs.
      lifecycleRules: [{ id: 'expire-fault-configurations', expiration: Duration.days(1) }],
    });
    skipCheckov(this.bucket, {
      CKV_AWS_18:
        'FIS Lambda fault configurations: short-lived objects (expire after 1 day) written only by the FIS experiment roles; FIS experiment logs already record every experiment.',
      CKV_AWS_21:
        'FIS writes one fault configuration per experiment and removes it when the experiment ends; an old version has no use once the experiment is over, and objects expire after 1 day.',
    });
  }

  /** Value of `AWS_FIS_CONFIGURATION_LOCATION`: `arn:aws:s3:::BUCKET/FisConfigs/`. */
  get location(): string {
    return this.bucket.arnForObjects(FIS_CONFIG_PREFIX);
  }

  /** What the FIS experiment role may write and delete. */
  get objectsArn(): string {
    return this.bucket.arnForObjects(`${FIS_CONFIG_PREFIX}*`);
  }
}

export interface FisLambdaTargetProps {
  fn: lambda.Function;
  config: FisLambdaConfig;
  /** @defaultValue 'x86_64' */
  architecture?: 'x86_64' | 'arm64';
  /** Tags the experiment templates select targets by, e.g. `{ service: 'opsproof-demo' }`. */
  targetTags?: Record<string, string>;
}

/**
 * Prepares a Lambda function for FIS's aws:lambda:invocation-* actions: the FIS extension layer of
 * the stack's region, `AWS_FIS_CONFIGURATION_LOCATION`, `AWS_LAMBDA_EXEC_WRAPPER`, read access to the
 * configuration folder (the policy of the FIS user guide), and the target tags.
 */
export class FisLambdaTarget extends Construct {
  readonly layerArn: string;

  constructor(scope: Construct, id: string, props: FisLambdaTargetProps) {
    super(scope, id);
    const architecture = props.architecture ?? 'x86_64';
    this.layerArn = ssm.StringParameter.valueForStringParameter(
      this,
      FIS_EXTENSION_LAYER_PARAMETER[architecture],
    );
    props.fn.addLayers(lambda.LayerVersion.fromLayerVersionArn(this, 'FisExtension', this.layerArn));
    props.fn.addEnvironment('AWS_FIS_CONFIGURATION_LOCATION', props.config.location);
    props.fn.addEnvironment('AWS_LAMBDA_EXEC_WRAPPER', FIS_EXEC_WRAPPER);
    props.fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'AllowListingConfigLocation',
        actions: ['s3:ListBucket'],
        resources: [props.config.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${FIS_CONFIG_PREFIX}*`] } },
      }),
    );
    props.fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'AllowReadingObjectFromConfigLocation',
        actions: ['s3:GetObject'],
        resources: [props.config.objectsArn],
      }),
    );
    for (const [key, value] of Object.entries(props.targetTags ?? {})) Tags.of(props.fn).add(key, value);
  }
}
