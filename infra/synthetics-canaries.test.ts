import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, expect, test } from 'vitest';
import { iamStatements, parseSuite, writeFixtureCanaryZip } from '../test-support/infra-fixtures.ts';
import { createOpsproofApp } from './create-app.ts';
import { synthSuite } from './synth-suite.ts';

// One aws environment with header secrets (Secrets Manager with a customer key, SSM), a VPC, and a
// canary with its own settings; synthesized with cdk-nag, which throws on an unacknowledged finding.
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1111aaaa-22bb-33cc-44dd-5555eeee6666';
let template: Template;
let resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-canary-infra-'));
  const fixture = await writeFixtureCanaryZip(dir, 'checkout', 'rate(1 minute)');
  const plain = await writeFixtureCanaryZip(dir, 'home');
  const suite = parseSuite({
    service: 'orders',
    environments: {
      staging: {
        target: 'https://internal.orders.example.com',
        provider: 'aws',
        region: 'eu-west-1',
        aws: {
          accountId: '123456789012',
          vpc: { subnetIds: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'], securityGroupIds: ['sg-0123abcd'] },
        },
        headers: {
          authorization: 'Bearer ${secret:TOKEN}',
          'x-api-key': '${secret:KEY}',
          'x-team': 'orders',
        },
        secrets: {
          TOKEN: { secretsManager: 'orders/canary', key: 'token', kmsKey: KEY },
          KEY: { ssm: '/orders/canary-key' },
          UNUSED: { ssm: '/orders/not-in-a-header' },
        },
      },
    },
    canaries: { retries: 0, timeout: '60s' },
  });
  const { app, stacks } = createOpsproofApp({
    suite,
    canaries: [
      {
        ...fixture,
        runtimeVersion: 'syn-nodejs-playwright-5.1',
        retries: 2,
        timeout: '2m',
        memoryMb: 2048,
        tags: { team: 'orders', tier: 'gold' },
      },
      plain,
    ],
    outdir: join(dir, 'cdk.out'),
  });
  const stack = stacks[0];
  if (!stack) throw new Error('no stack');
  const json = app.synth().getStackByName(stack.stackName).template;
  resources = json.Resources;
  template = Template.fromJSON(json);
}, 120_000);

/** An ARN as IAM sees it in the aws partition (CDK writes the partition as a reference). */
function arn(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(arn);
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
  if (!join) return value;
  return join[1]
    .map((part) => ((part as { Ref?: string }).Ref === 'AWS::Partition' ? 'aws' : part))
    .join(join[0]);
}

function canary(name: string): Record<string, unknown> {
  const found = Object.values(resources).find(
    (r) => r.Type === 'AWS::Synthetics::Canary' && r.Properties?.Name === name,
  );
  return found?.Properties ?? {};
}

test("a canary's own runtime, schedule, retries, timeout, memory and tags are deployed; the other keeps the suite's", () => {
  const own = canary('checkout');
  expect(own.RuntimeVersion).toBe('syn-nodejs-playwright-5.1');
  expect(canary('home').RuntimeVersion).toBe('syn-nodejs-playwright-6.0');
  expect(own.Schedule).toMatchObject({ Expression: 'rate(1 minute)' });
  expect(own.RunConfig).toMatchObject({ TimeoutInSeconds: 120, MemoryInMB: 2048 });
  expect(JSON.stringify(own)).toMatch(/"MaxRetries":2/);
  expect(own.Tags).toEqual(
    expect.arrayContaining([
      { Key: 'team', Value: 'orders' },
      { Key: 'tier', Value: 'gold' },
    ]),
  );
  const suiteDefaults = canary('home');
  expect(suiteDefaults.Schedule).toMatchObject({ Expression: 'rate(5 minutes)' });
  expect(suiteDefaults.RunConfig).toMatchObject({ TimeoutInSeconds: 60, MemoryInMB: 1024 });
  // Synthetics retries nothing unless told: CDK leaves out a zero MaxRetries.
  expect(JSON.stringify(suiteDefaults)).not.toMatch(/"MaxRetries":[12]/);
  expect((suiteDefaults.Tags as { Key: string }[]).map((t) => t.Key)).not.toContain('team');
});

test('the headers and secret references reach the canary as variables; no secret value, only references', () => {
  const variables = (canary('checkout').RunConfig as { EnvironmentVariables: Record<string, string> })
    .EnvironmentVariables;
  expect(JSON.parse(variables.OPSPROOF_HEADERS ?? '{}')).toEqual({
    authorization: 'Bearer ${secret:TOKEN}',
    'x-api-key': '${secret:KEY}',
    'x-team': 'orders',
  });
  // Only the secrets a header uses.
  expect(Object.keys(JSON.parse(variables.OPSPROOF_SECRETS ?? '{}')).sort()).toEqual(['KEY', 'TOKEN']);
});

test('each canary role reads exactly the referenced secret and parameter and decrypts with their key', () => {
  const statements = iamStatements({ Resources: resources });
  const secretActions = statements.filter(({ statement }) =>
    [statement.Action].flat().some((a) => /^(secretsmanager|ssm|kms):/.test(a)),
  );
  const rendered = secretActions.map(({ statement }) => [
    statement.Action,
    JSON.stringify(arn(statement.Resource)),
  ]);
  // Two canaries, three statements each.
  expect(secretActions).toHaveLength(6);
  for (const [action, resource] of rendered) {
    if (action === 'secretsmanager:GetSecretValue')
      expect(resource).toBe('"arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/canary-??????"');
    else if (action === 'ssm:GetParameter')
      expect(resource).toBe('"arn:aws:ssm:eu-west-1:123456789012:parameter/orders/canary-key"');
    else if (action === 'kms:Decrypt') expect(resource).toBe(JSON.stringify(KEY));
    else throw new Error(`unexpected ${action}`);
  }
  expect(JSON.stringify(statements)).not.toContain('not-in-a-header');
});

test('the canaries run in the VPC; their roles may create network interfaces only in its subnets and groups', () => {
  expect(canary('checkout').VPCConfig).toEqual({
    SubnetIds: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'],
    SecurityGroupIds: ['sg-0123abcd'],
  });
  const create = iamStatements({ Resources: resources }).find(
    ({ statement }) => statement.Action === 'ec2:CreateNetworkInterface',
  );
  expect(arn(create?.statement.Resource)).toEqual([
    'arn:aws:ec2:eu-west-1:123456789012:network-interface/*',
    'arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0a1b2c3d',
    'arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-4e5f6a7b',
    'arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0123abcd',
  ]);
  const actions = iamStatements({ Resources: resources }).flatMap(({ statement }) =>
    [statement.Action].flat(),
  );
  expect(actions.filter((a) => a.startsWith('ec2:')).sort()).toEqual(
    [
      ...Array(2).fill('ec2:CreateNetworkInterface'),
      ...Array(2).fill('ec2:DeleteNetworkInterface'),
      ...Array(2).fill('ec2:DescribeNetworkInterfaces'),
    ].sort(),
  );
});

test('the artifacts bucket is versioned, logs its access to a bucket of its own and expires old versions', () => {
  const buckets = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::S3::Bucket');
  const artifacts = buckets.find(([id]) => id.includes('CanariesArtifacts') && !id.includes('AccessLogs'));
  const logs = buckets.find(([id]) => id.includes('ArtifactAccessLogs'));
  expect(artifacts?.[1].Properties).toMatchObject({
    VersioningConfiguration: { Status: 'Enabled' },
    LoggingConfiguration: { DestinationBucketName: { Ref: logs?.[0] }, LogFilePrefix: 'artifacts/' },
  });
  expect(JSON.stringify(artifacts?.[1].Properties)).toMatch(
    /"NoncurrentVersionExpiration":\{"NoncurrentDays":7\}/,
  );
  expect(logs?.[1].Properties).toMatchObject({ VersioningConfiguration: { Status: 'Enabled' } });
  template.resourceCountIs('AWS::Synthetics::Canary', 2);
});

// The user's path, from the canary file to the template: defineCanary's own settings survive packaging.
test("a canary file's own schedule, retries, timeout, memory, tags and runtime reach the synthesized canary", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-canary-settings-'));
  writeFileSync(
    join(dir, 'checkout.canary.ts'),
    `import { defineCanary } from 'opsproof';
export default defineCanary(
  { name: 'checkout', type: 'api', schedule: 'rate(2 minutes)', retries: 1, timeout: '90s', memoryMb: 1536,
    runtimeVersion: 'syn-nodejs-playwright-5.1', tags: { team: 'payments' } },
  async ({ step }) => { await step('noop', async () => {}); },
);
`,
  );
  const suite = parseSuite({
    service: 'orders',
    environments: {
      staging: { target: 'https://orders.example.com', provider: 'aws', region: 'eu-west-1' },
    },
    canaries: { files: ['*.canary.ts'], retries: 0, timeout: '60s' },
  });
  const { stacks } = await synthSuite({
    loaded: { suite, file: join(dir, 'opsproof.config.ts'), dir, warnings: [] },
    outdir: join(dir, 'cdk.out'),
  });
  const template = JSON.parse(readFileSync(stacks[0]?.templateFile ?? '', 'utf8')) as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const props = Object.values(template.Resources).find(
    (r) => r.Type === 'AWS::Synthetics::Canary',
  )?.Properties;
  expect(props).toMatchObject({
    Name: 'checkout',
    RuntimeVersion: 'syn-nodejs-playwright-5.1',
    Schedule: { Expression: 'rate(2 minutes)' },
    RunConfig: { TimeoutInSeconds: 90, MemoryInMB: 1536 },
  });
  expect(JSON.stringify(props)).toMatch(/"MaxRetries":1/);
  expect(props?.Tags).toEqual(expect.arrayContaining([{ Key: 'team', Value: 'payments' }]));
}, 120_000);
