import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, expect, test } from 'vitest';
import {
  FIS_FAMILIES_WITH_ROLES,
  fisFixtureExperiment,
  fisFixtureSuite,
  iamStatements,
  writeFixtureCanaryZip,
} from '../test-support/infra-fixtures.ts';
import { createOpsproofApp } from './create-app.ts';
import { SUPPORTED_FIS_ACTIONS, UnsupportedFisActionError } from './fis-permissions.ts';

const COVERED = FIS_FAMILIES_WITH_ROLES;

const logicalName = (experiment: string) => experiment.replace(/[^A-Za-z0-9]/g, '');

let template: Template;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opsproof-fis-'));
  const canaries = [await writeFixtureCanaryZip(dir, 'checkout')];
  const experiments = Object.fromEntries(COVERED.map((f) => [f, fisFixtureExperiment(f)]));
  const { app, stacks } = createOpsproofApp({
    suite: fisFixtureSuite(experiments),
    canaries,
    outdir: join(dir, 'out'),
  });
  // Throws when cdk-nag (a CDK validation plugin) reports an unacknowledged finding.
  const assembly = app.synth();
  template = Template.fromJSON(assembly.getStackByName(stacks[0]?.stackName ?? '').template);
});

test('every family fixture becomes a template with a role of its own', () => {
  const found = template.findResources('AWS::FIS::ExperimentTemplate');
  expect(Object.keys(found)).toHaveLength(COVERED.length);
  for (const family of COVERED)
    expect(Object.keys(found).some((id) => id.startsWith(`ExperimentsTemplate${logicalName(family)}`))).toBe(
      true,
    );
  template.resourceCountIs('AWS::IAM::Role', COVERED.length + 1 /* the canary's */);
  for (const r of Object.values(found))
    expect(r.Properties.RoleArn).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
});

/** The statements of one experiment's role policy, by Sid. */
function roleStatements(experiment: string): Map<string, { Action: string | string[]; Resource: unknown }> {
  const policies = template.findResources('AWS::IAM::Policy');
  const entry = Object.entries(policies).find(([id]) =>
    id.startsWith(`ExperimentsRole${logicalName(experiment)}DefaultPolicy`),
  );
  if (!entry) throw new Error(`no policy for ${experiment}: ${Object.keys(policies).join(', ')}`);
  const statements = entry[1].Properties.PolicyDocument.Statement as {
    Sid: string;
    Action: string | string[];
    Resource: unknown;
  }[];
  return new Map(statements.map((s) => [s.Sid, s]));
}

test.each([
  // experiment, Sid, actions, resources (as synthesized: account and region are the stack's)
  [
    'ec2',
    'TerminateTargetInstances',
    'ec2:TerminateInstances',
    [
      'arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0',
      'arn:aws:ec2:eu-west-1:123456789012:instance/i-0fedcba9876543210',
    ],
  ],
  [
    'rds-aurora',
    'FailoverTargetDbClusters',
    'rds:FailoverDBCluster',
    'arn:aws:rds:eu-west-1:123456789012:cluster:orders-aurora',
  ],
  [
    'ecs',
    'SendFisDocuments',
    'ssm:SendCommand',
    [
      {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':ssm:eu-west-1::document/AWSFIS-Run-Network-Latency-ECS'],
        ],
      },
      {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':ssm:eu-west-1::document/AWSFIS-Run-Network-Packet-Loss-ECS'],
        ],
      },
      {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':ssm:eu-west-1::document/AWSFIS-Run-CPU-Stress'],
        ],
      },
      {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':ssm:eu-west-1::document/AWSFIS-Run-Network-Blackhole-Port-ECS',
          ],
        ],
      },
      {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':ssm:eu-west-1::document/AWSFIS-Run-Kill-Process'],
        ],
      },
    ],
  ],
  [
    'network',
    'SwapTargetSubnetNetworkAcl',
    'ec2:ReplaceNetworkAclAssociation',
    [
      'arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0123456789abcdef0',
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:eu-west-1:123456789012:network-acl/*']] },
      // the second action's subnets, chosen by tag and AZ filter
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:eu-west-1:123456789012:subnet/*']] },
    ],
  ],
  [
    'dynamodb',
    'PauseTableReplication',
    [
      'dynamodb:DescribeTable',
      'dynamodb:GetResourcePolicy',
      'dynamodb:PutResourcePolicy',
      'dynamodb:DeleteResourcePolicy',
      'dynamodb:InjectError',
    ],
    [
      'arn:aws:dynamodb:eu-west-1:123456789012:table/orders',
      'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/*',
    ],
  ],
])('%s: %s grants %j on %j', (experiment, sid, actions, resources) => {
  const statement = roleStatements(experiment).get(sid);
  expect(statement?.Action).toEqual(actions);
  expect(statement?.Resource).toEqual(resources);
});

test('no statement of any FIS role allows "*" or "service:*" actions', () => {
  const statements = iamStatements(template.toJSON() as Parameters<typeof iamStatements>[0]);
  expect(statements.length).toBeGreaterThan(COVERED.length);
  for (const { owner, statement } of statements) {
    for (const action of [statement.Action].flat())
      expect(action, owner).not.toMatch(/(^\*$)|(^[a-z0-9-]+:\*$)/);
  }
});

test.each([['directconnect', 'aws:directconnect:virtual-interface-disconnect']])(
  'the %s fixture has actions without a policy here: synthesis names the first and asks for a roleArn',
  (family, actionId) => {
    expect(SUPPORTED_FIS_ACTIONS).not.toContain(actionId);
    const build = () =>
      createOpsproofApp({
        suite: fisFixtureSuite({ [family]: fisFixtureExperiment(family) }),
        canaries: [],
        outdir: join(dir, family),
      });
    expect(build).toThrow(UnsupportedFisActionError);
    expect(build).toThrow(new RegExp(`${actionId}.*roleArn`));
  },
);

test('one experiment with every family: a role over the inline size limit spills into managed policies, still cdk-nag clean', async () => {
  // Every fixture's targets and actions in one template (names prefixed by family, no ordering).
  const targets: Record<string, unknown> = {};
  const actions: Record<string, unknown> = {};
  for (const family of COVERED) {
    const prefix = logicalName(family);
    const experiment = fisFixtureExperiment(family);
    for (const [name, target] of Object.entries(experiment.targets ?? {}))
      targets[`${prefix}${name}`] = target;
    for (const [name, { startAfter: _after, ...action }] of Object.entries(experiment.actions)) {
      const refs = Object.entries(action.targets ?? {}).map(([key, target]) => [key, `${prefix}${target}`]);
      actions[`${prefix}${name}`] = { ...action, targets: Object.fromEntries(refs) };
    }
  }
  const { app, stacks } = createOpsproofApp({
    suite: fisFixtureSuite({ all: { targets, actions } as Parameters<typeof fisFixtureSuite>[0][string] }),
    canaries: [await writeFixtureCanaryZip(dir, 'checkout')],
    outdir: join(dir, 'all'),
  });
  // Throws on an unacknowledged cdk-nag finding, the overflow policies' included.
  const all = Template.fromJSON(app.synth().getStackByName(stacks[0]?.stackName ?? '').template);
  const overflow = Object.values(all.findResources('AWS::IAM::ManagedPolicy'));
  expect(overflow.length).toBeGreaterThan(0);
  const sids = iamStatements(all.toJSON() as Parameters<typeof iamStatements>[0]).map(
    (s) => (s.statement as { Sid?: string }).Sid,
  );
  // (tag-selected targets: the Sid carries a tag-set suffix)
  for (const sid of [
    'StopAndStartTargetInstances',
    'SendCommandToTargetTasks',
    'EditFisNetworkAcl',
    'PauseBucketReplication',
  ])
    expect(sids.some((s) => s?.startsWith(sid))).toBe(true);
});
