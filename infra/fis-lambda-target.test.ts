import { App, aws_lambda as lambda, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { expect, test } from 'vitest';
import { FIS_EXTENSION_LAYER_PARAMETER, FisLambdaConfig, FisLambdaTarget } from './fis-lambda-target.ts';

function synth(architecture?: 'x86_64' | 'arm64') {
  const stack = new Stack(new App({ analyticsReporting: false }), 'Target', { env: { region: 'eu-west-1' } });
  const config = new FisLambdaConfig(stack, 'FisConfig');
  const fn = new lambda.Function(stack, 'Orders', {
    runtime: lambda.Runtime.NODEJS_20_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => 1;'),
  });
  new FisLambdaTarget(stack, 'Fis', {
    fn,
    config,
    ...(architecture ? { architecture } : {}),
    targetTags: { service: 'orders' },
  });
  return Template.fromStack(stack);
}

test('the function gets the FIS extension layer of its region, the configuration location and the exec wrapper', () => {
  const template = synth();
  template.hasResourceProperties('AWS::Lambda::Function', {
    Layers: [{ Ref: Match.stringLikeRegexp('SsmParameterValue') }],
    Environment: {
      Variables: {
        AWS_LAMBDA_EXEC_WRAPPER: '/opt/aws-fis/bootstrap',
        AWS_FIS_CONFIGURATION_LOCATION: {
          'Fn::Join': [
            '',
            [{ 'Fn::GetAtt': [Match.stringLikeRegexp('FisConfigBucket'), 'Arn'] }, '/FisConfigs/'],
          ],
        },
      },
    },
    Tags: Match.arrayWith([{ Key: 'service', Value: 'orders' }]),
  });
  const parameters = Object.values(
    template.toJSON().Parameters as Record<string, { Type: string; Default: string }>,
  );
  expect(parameters).toContainEqual({
    Type: 'AWS::SSM::Parameter::Value<String>',
    Default: '/aws/service/fis/lambda-extension/AWS-FIS-extension-x86_64/1.x.x',
  });
});

test('arm64 functions get the arm64 extension', () => {
  const parameters = Object.values(synth('arm64').toJSON().Parameters as Record<string, { Default: string }>);
  expect(parameters.map((p) => p.Default)).toContain(FIS_EXTENSION_LAYER_PARAMETER.arm64);
});

test('the function may read the configuration folder and nothing else of the bucket', () => {
  synth().hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: [
        {
          Sid: 'AllowListingConfigLocation',
          Action: 's3:ListBucket',
          Condition: { StringLike: { 's3:prefix': ['FisConfigs/*'] } },
        },
        {
          Sid: 'AllowReadingObjectFromConfigLocation',
          Action: 's3:GetObject',
          Resource: {
            'Fn::Join': [
              '',
              [{ 'Fn::GetAtt': [Match.stringLikeRegexp('FisConfigBucket'), 'Arn'] }, '/FisConfigs/*'],
            ],
          },
        },
      ],
    },
  });
});
