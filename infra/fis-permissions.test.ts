// Long because it is a table: one row per FIS action family, each with the exact statements expected.
import { type ArnComponents, ArnFormat } from 'aws-cdk-lib';
import { describe, expect, test } from 'vitest';
import { type ExperimentInput, experimentSchema } from '../core/schema.ts';
import type { PermissionStatement } from './fis-action-policies.ts';
import {
  buildFisPermissions,
  SUPPORTED_FIS_ACTIONS,
  UnsupportedFisActionError,
  usesLambdaFaults,
} from './fis-permissions.ts';

// Stack.formatArn's shape with a fixed account and region (overrides honoured, as CDK does).
const ctx = {
  formatArn: (c: ArnComponents) => {
    const sep = c.arnFormat === ArnFormat.COLON_RESOURCE_NAME ? ':' : '/';
    const name = c.resourceName === undefined ? '' : `${sep}${c.resourceName}`;
    return `arn:aws:${c.service}:${c.region ?? 'eu-west-1'}:${c.account ?? '111122223333'}:${c.resource}${name}`;
  },
  account: '111122223333',
  lambdaConfigObjectsArn: 'arn:aws:s3:::fis-config/FisConfigs/*',
};
const EC2 = 'arn:aws:ec2:eu-west-1:111122223333';
const ANY = ['*'];
const LOGGING = ['CreateLogDelivery', 'LogGroupResourcePolicy'];

type Row = [
  sid: string,
  actions: string[],
  resources: string[],
  conditions?: PermissionStatement['conditions'],
];

/** The statements of a template with one target kind and its actions, logging statements left out. */
function permissions(input: ExperimentInput): Row[] {
  return buildFisPermissions(experimentSchema.parse(input), ctx)
    .filter((s) => !LOGGING.includes(s.sid))
    .map((s) =>
      s.conditions ? [s.sid, s.actions, s.resources, s.conditions] : [s.sid, s.actions, s.resources],
    );
}

const byTags = (resourceType: string, extra = {}) => ({
  resourceType,
  resourceTags: { service: 'orders' },
  selectionMode: 'ALL',
  ...extra,
});
const byArns = (resourceType: string, ...resourceArns: string[]) => ({
  resourceType,
  resourceArns,
  selectionMode: 'ALL',
});
const one = (
  actionId: string,
  target: NonNullable<ExperimentInput['targets']>[string],
  key: string,
  parameters: Record<string, string> = {},
): ExperimentInput => ({
  targets: { t: target },
  actions: { a: { actionId, parameters, targets: { [key]: 't' } } },
});
const tagLookup: Row = ['ResolveTargetsByTags', ['tag:GetResources'], ANY];
const describeInstances: Row = ['DescribeInstances', ['ec2:DescribeInstances'], ANY];
const ecsDocument = (name: string): Row => [
  'SendFisDocuments',
  ['ssm:SendCommand'],
  [`arn:aws:ssm:eu-west-1::document/${name}`],
];
/** `byTags`' tag set as conditions: the statement holds only for resources carrying it. */
const byTheTargetTags = { StringEquals: { 'aws:ResourceTag/service': 'orders' } };
const managedPolicyFisTag = { StringEquals: { 'ec2:ResourceTag/managedByFIS': 'true' } };

describe('buildFisPermissions: one table row per action family', () => {
  test.each<[string, ExperimentInput, Row[]]>([
    [
      'EC2 stop and restart, tagged instances (restart grants kms:CreateGrant through EC2 only)',
      one('aws:ec2:stop-instances', byTags('aws:ec2:instance'), 'Instances', {
        startInstancesAfterDuration: 'PT2M',
      }),
      [
        [
          'StopAndStartTargetInstancesTaggedf90d7e1d',
          ['ec2:StopInstances', 'ec2:StartInstances'],
          [`${EC2}:instance/*`],
          byTheTargetTags,
        ],
        [
          'RestartEncryptedVolumes',
          ['kms:CreateGrant'],
          ['arn:aws:kms:eu-west-1:111122223333:key/*'],
          {
            StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' },
            Bool: { 'kms:GrantIsForAWSResource': 'true' },
          },
        ],
        tagLookup,
      ],
    ],
    [
      'EC2 terminate and reboot, listed instances',
      {
        targets: { one: byArns('aws:ec2:instance', `${EC2}:instance/i-0123456789abcdef0`) },
        actions: {
          terminate: { actionId: 'aws:ec2:terminate-instances', targets: { Instances: 'one' } },
          reboot: { actionId: 'aws:ec2:reboot-instances', targets: { Instances: 'one' } },
        },
      },
      [
        ['TerminateTargetInstances', ['ec2:TerminateInstances'], [`${EC2}:instance/i-0123456789abcdef0`]],
        describeInstances,
        ['RebootTargetInstances', ['ec2:RebootInstances'], [`${EC2}:instance/i-0123456789abcdef0`]],
      ],
    ],
    [
      'EC2 Spot interruptions, tagged',
      one('aws:ec2:send-spot-instance-interruptions', byTags('aws:ec2:spot-instance'), 'SpotInstances', {
        durationBeforeInterruption: 'PT2M',
      }),
      [
        [
          'InterruptTargetSpotInstancesTaggedf90d7e1d',
          ['ec2:SendSpotInstanceInterruptions'],
          [`${EC2}:instance/*`],
          byTheTargetTags,
        ],
        describeInstances,
        tagLookup,
      ],
    ],
    [
      'EC2 Auto Scaling capacity errors: InjectApiError for this action id and these groups only',
      one(
        'aws:ec2:asg-insufficient-instance-capacity-error',
        byArns(
          'aws:ec2:autoscaling-group',
          'arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:1:autoScalingGroupName/web',
        ),
        'AutoScalingGroups',
        { availabilityZoneIdentifiers: 'eu-west-1b', duration: 'PT10M' },
      ),
      [
        [
          'InjectAsgCapacityErrors',
          ['ec2:InjectApiError'],
          ANY,
          {
            StringEquals: { 'ec2:FisActionId': 'aws:ec2:asg-insufficient-instance-capacity-error' },
            'ForAllValues:ArnLike': {
              'ec2:FisTargetArns':
                'arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:1:autoScalingGroupName/web',
            },
          },
        ],
        ['DescribeAutoScalingGroups', ['autoscaling:DescribeAutoScalingGroups'], ANY],
      ],
    ],
    [
      'EBS pause I/O and latency, listed volume',
      {
        targets: { v: byArns('aws:ec2:ebs-volume', `${EC2}:volume/vol-1`) },
        actions: {
          pause: {
            actionId: 'aws:ebs:pause-volume-io',
            parameters: { duration: 'PT30S' },
            targets: { Volumes: 'v' },
          },
          slow: {
            actionId: 'aws:ebs:volume-io-latency',
            parameters: { duration: 'PT5M' },
            targets: { Volumes: 'v' },
          },
        },
      },
      [
        ['PauseTargetVolumesIo', ['ec2:PauseVolumeIO'], [`${EC2}:volume/vol-1`]],
        ['DescribeVolumes', ['ec2:DescribeVolumes'], ANY],
        ['DelayTargetVolumesIo', ['ec2:InjectVolumeIOLatency'], [`${EC2}:volume/vol-1`]],
      ],
    ],
    [
      'ECS stop-task, tasks of a cluster',
      one('aws:ecs:stop-task', byTags('aws:ecs:task', { parameters: { cluster: 'shop' } }), 'Tasks'),
      [
        [
          'StopTargetTasks',
          ['ecs:DescribeTasks', 'ecs:StopTask'],
          ['arn:aws:ecs:eu-west-1:111122223333:task/shop/*'],
        ],
        ['ListTasks', ['ecs:ListTasks'], ANY],
        tagLookup,
      ],
    ],
    [
      'ECS CPU stress through SSM: the AWSFIS document, managed instances tagged with the target tasks',
      one(
        'aws:ecs:task-cpu-stress',
        {
          resourceType: 'aws:ecs:task',
          parameters: { cluster: 'shop', service: 'api' },
          selectionMode: 'ALL',
        },
        'Tasks',
        { duration: 'PT5M' },
      ),
      [
        ['DescribeTargetTasks', ['ecs:DescribeTasks'], ['arn:aws:ecs:eu-west-1:111122223333:task/shop/*']],
        ['ListTasks', ['ecs:ListTasks'], ANY],
        ecsDocument('AWSFIS-Run-CPU-Stress'),
        [
          'SendCommandToTargetTasks',
          ['ssm:SendCommand'],
          ['arn:aws:ssm:eu-west-1:111122223333:managed-instance/*'],
          {
            StringLike: { 'aws:ResourceTag/ECS_TASK_ARN': 'arn:aws:ecs:eu-west-1:111122223333:task/shop/*' },
          },
        ],
        ['ListAndCancelCommands', ['ssm:ListCommands', 'ssm:CancelCommand'], ANY],
        tagLookup,
      ],
    ],
    [
      'ECS network latency on a listed task, through the ECS fault injection endpoints',
      one(
        'aws:ecs:task-network-latency',
        byArns('aws:ecs:task', 'arn:aws:ecs:eu-west-1:111122223333:task/shop/abc'),
        'Tasks',
        { duration: 'PT5M', useEcsFaultInjectionEndpoints: 'true' },
      ),
      [
        ['DescribeTargetTasks', ['ecs:DescribeTasks'], ['arn:aws:ecs:eu-west-1:111122223333:task/shop/abc']],
        ['ListTasks', ['ecs:ListTasks'], ANY],
        ecsDocument('AWSFIS-Run-Network-Latency-ECS'),
        [
          'SendCommandToTargetTasks',
          ['ssm:SendCommand'],
          ['arn:aws:ssm:eu-west-1:111122223333:managed-instance/*'],
          {
            StringLike: {
              'aws:ResourceTag/ECS_TASK_ARN': 'arn:aws:ecs:eu-west-1:111122223333:task/shop/abc',
            },
          },
        ],
        ['ListAndCancelCommands', ['ssm:ListCommands', 'ssm:CancelCommand'], ANY],
        [
          'DescribeTaskContainerInstances',
          ['ecs:DescribeContainerInstances'],
          ['arn:aws:ecs:eu-west-1:111122223333:container-instance/shop/*'],
        ],
        describeInstances,
        ['DescribeSubnets', ['ec2:DescribeSubnets'], ANY],
      ],
    ],
    [
      'ECS drain, a listed cluster',
      one(
        'aws:ecs:drain-container-instances',
        byArns('aws:ecs:cluster', 'arn:aws:ecs:eu-west-1:111122223333:cluster/shop'),
        'Clusters',
        {
          drainagePercentage: '30',
          duration: 'PT10M',
        },
      ),
      [
        [
          'ReadTargetClusters',
          ['ecs:DescribeClusters', 'ecs:ListContainerInstances'],
          ['arn:aws:ecs:eu-west-1:111122223333:cluster/shop'],
        ],
        [
          'DrainContainerInstances',
          ['ecs:UpdateContainerInstancesState'],
          ['arn:aws:ecs:eu-west-1:111122223333:container-instance/shop/*'],
        ],
      ],
    ],
    [
      'EKS pod delete: the cluster of the pods, described only (Kubernetes RBAC does the rest)',
      one(
        'aws:eks:pod-delete',
        {
          resourceType: 'aws:eks:pod',
          parameters: {
            clusterIdentifier: 'shop',
            namespace: 'default',
            selectorType: 'labelSelector',
            selectorValue: 'app=api',
          },
          selectionMode: 'COUNT(1)',
        },
        'Pods',
        { kubernetesServiceAccount: 'fis-sa' },
      ),
      [
        [
          'DescribeTargetEksClusters',
          ['eks:DescribeCluster'],
          ['arn:aws:eks:eu-west-1:111122223333:cluster/shop'],
        ],
        ['DescribeSubnets', ['ec2:DescribeSubnets'], ANY],
        tagLookup,
      ],
    ],
    [
      'EKS node group termination, a listed node group',
      one(
        'aws:eks:terminate-nodegroup-instances',
        byArns('aws:eks:nodegroup', 'arn:aws:eks:eu-west-1:111122223333:nodegroup/shop/general/1'),
        'Nodegroups',
        { instanceTerminationPercentage: '40' },
      ),
      [
        [
          'DescribeTargetNodegroups',
          ['eks:DescribeNodegroup'],
          ['arn:aws:eks:eu-west-1:111122223333:nodegroup/shop/general/1'],
        ],
        describeInstances,
        ['TerminateNodegroupInstances', ['ec2:TerminateInstances'], [`${EC2}:instance/*`]],
      ],
    ],
    [
      'Aurora failover (listed cluster) and RDS reboot (tagged instances)',
      {
        targets: {
          cluster: byArns('aws:rds:cluster', 'arn:aws:rds:eu-west-1:111122223333:cluster:orders'),
          reader: byTags('aws:rds:db'),
        },
        actions: {
          failover: { actionId: 'aws:rds:failover-db-cluster', targets: { Clusters: 'cluster' } },
          reboot: {
            actionId: 'aws:rds:reboot-db-instances',
            parameters: { forceFailover: 'true' },
            targets: { DBInstances: 'reader' },
          },
        },
      },
      [
        [
          'FailoverTargetDbClusters',
          ['rds:FailoverDBCluster'],
          ['arn:aws:rds:eu-west-1:111122223333:cluster:orders'],
        ],
        ['DescribeDbClusters', ['rds:DescribeDBClusters'], ['arn:aws:rds:eu-west-1:111122223333:cluster:*']],
        [
          'RebootTargetDbInstancesTaggedf90d7e1d',
          ['rds:RebootDBInstance'],
          ['arn:aws:rds:eu-west-1:111122223333:db:*'],
          byTheTargetTags,
        ],
        ['DescribeDbInstances', ['rds:DescribeDBInstances'], ['arn:aws:rds:eu-west-1:111122223333:db:*']],
        tagLookup,
      ],
    ],
    [
      'DynamoDB global-table replication pause: the table and its streams',
      one(
        'aws:dynamodb:global-table-pause-replication',
        byArns('aws:dynamodb:global-table', 'arn:aws:dynamodb:eu-west-1:111122223333:table/orders'),
        'Tables',
        { duration: 'PT12M' },
      ),
      [
        [
          'PauseTableReplication',
          [
            'dynamodb:DescribeTable',
            'dynamodb:GetResourcePolicy',
            'dynamodb:PutResourcePolicy',
            'dynamodb:DeleteResourcePolicy',
            'dynamodb:InjectError',
          ],
          [
            'arn:aws:dynamodb:eu-west-1:111122223333:table/orders',
            'arn:aws:dynamodb:eu-west-1:111122223333:table/orders/stream/*',
          ],
        ],
      ],
    ],
    [
      'ElastiCache AZ power interruption, a listed replication group',
      one(
        'aws:elasticache:replicationgroup-interrupt-az-power',
        byArns(
          'aws:elasticache:replicationgroup',
          'arn:aws:elasticache:eu-west-1:111122223333:replicationgroup:sessions',
        ),
        'ReplicationGroups',
        { duration: 'PT30M' },
      ),
      [
        [
          'InterruptTargetReplicationGroupsAzPower',
          ['elasticache:InterruptClusterAzPower'],
          ['arn:aws:elasticache:eu-west-1:111122223333:replicationgroup:sessions'],
        ],
        [
          'DescribeReplicationGroups',
          ['elasticache:DescribeReplicationGroups'],
          ['arn:aws:elasticache:eu-west-1:111122223333:replicationgroup:*'],
        ],
      ],
    ],
    [
      'S3 replication pause: tagged buckets of this account, to the given Region, pause requests only',
      one('aws:s3:bucket-pause-replication', byTags('aws:s3:bucket'), 'Buckets', {
        duration: 'PT10M',
        region: 'eu-central-1',
      }),
      [
        [
          'PauseBucketReplication',
          ['s3:PauseReplication'],
          ['arn:aws:s3:::*'],
          { StringEquals: { 's3:DestinationRegion': 'eu-central-1', 'aws:ResourceAccount': '111122223333' } },
        ],
        [
          'ReplicationConfigurationForPause',
          ['s3:GetReplicationConfiguration', 's3:PutReplicationConfiguration'],
          ['arn:aws:s3:::*'],
          {
            BoolIfExists: { 's3:IsReplicationPauseRequest': 'true' },
            StringEquals: { 'aws:ResourceAccount': '111122223333' },
          },
        ],
        ['ListBuckets', ['s3:ListAllMyBuckets'], ANY],
        tagLookup,
      ],
    ],
    [
      'SSM: a command document on listed instances, then an automation runbook passing its role',
      {
        targets: { i: byArns('aws:ec2:instance', `${EC2}:instance/i-1`) },
        actions: {
          cpu: {
            actionId: 'aws:ssm:send-command',
            parameters: {
              documentArn: 'arn:aws:ssm:eu-west-1::document/AWSFIS-Run-CPU-Stress',
              duration: 'PT2M',
            },
            targets: { Instances: 'i' },
          },
          runbook: {
            actionId: 'aws:ssm:start-automation-execution',
            parameters: {
              documentArn: 'arn:aws:ssm:eu-west-1:111122223333:document/ImpairSubnet',
              documentParameters: '{"AutomationAssumeRole": "arn:aws:iam::111122223333:role/ssm-automation"}',
              maxDuration: 'PT10M',
            },
          },
        },
      },
      [
        [
          'SendCommandDocument',
          ['ssm:SendCommand'],
          ['arn:aws:ssm:eu-west-1::document/AWSFIS-Run-CPU-Stress'],
        ],
        ['SendCommandToTargetInstances', ['ssm:SendCommand'], [`${EC2}:instance/i-1`]],
        ['ListAndCancelCommands', ['ssm:ListCommands', 'ssm:CancelCommand'], ANY],
        [
          'StartAutomation',
          ['ssm:StartAutomationExecution'],
          [
            'arn:aws:ssm:eu-west-1:111122223333:document/ImpairSubnet',
            'arn:aws:ssm:eu-west-1:111122223333:automation-definition/ImpairSubnet:*',
            'arn:aws:ssm:eu-west-1:111122223333:automation-execution/*',
          ],
        ],
        [
          'ControlAutomation',
          ['ssm:GetAutomationExecution', 'ssm:StopAutomationExecution'],
          ['arn:aws:ssm:eu-west-1:111122223333:automation-execution/*'],
        ],
        [
          'PassAutomationRole',
          ['iam:PassRole'],
          ['arn:aws:iam::111122223333:role/ssm-automation'],
          { StringEquals: { 'iam:PassedToService': 'ssm.amazonaws.com' } },
        ],
      ],
    ],
    [
      'network disrupt-connectivity: the managed policy narrowed to the target subnet, managedByFIS kept',
      one('aws:network:disrupt-connectivity', byArns('aws:ec2:subnet', `${EC2}:subnet/subnet-1`), 'Subnets', {
        duration: 'PT5M',
        scope: 's3',
      }),
      [
        [
          'CreateFisNetworkAcl',
          ['ec2:CreateNetworkAcl'],
          [`${EC2}:network-acl/*`],
          { StringEquals: { 'aws:RequestTag/managedByFIS': 'true' } },
        ],
        ['CreateNetworkAclInVpc', ['ec2:CreateNetworkAcl'], [`${EC2}:vpc/*`]],
        [
          'TagFisNetworkAcl',
          ['ec2:CreateTags'],
          [`${EC2}:network-acl/*`],
          { StringEquals: { 'ec2:CreateAction': 'CreateNetworkAcl', 'aws:RequestTag/managedByFIS': 'true' } },
        ],
        [
          'EditFisNetworkAcl',
          ['ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAcl'],
          [`${EC2}:network-acl/*`, `${EC2}:vpc/*`],
          managedPolicyFisTag,
        ],
        [
          'SwapTargetSubnetNetworkAcl',
          ['ec2:ReplaceNetworkAclAssociation'],
          [`${EC2}:subnet/subnet-1`, `${EC2}:network-acl/*`],
        ],
        [
          'ReadPrefixListEntries',
          ['ec2:GetManagedPrefixListEntries'],
          [`${EC2}:prefix-list/*`, 'arn:aws:ec2:eu-west-1:aws:prefix-list/*'],
        ],
        [
          'DescribeNetwork',
          [
            'ec2:DescribeManagedPrefixLists',
            'ec2:DescribeNetworkAcls',
            'ec2:DescribeSubnets',
            'ec2:DescribeVpcs',
          ],
          ANY,
        ],
      ],
    ],
    [
      'network transit gateway cross-Region disruption',
      one(
        'aws:network:transit-gateway-disrupt-cross-region-connectivity',
        byArns('aws:ec2:transit-gateway', `${EC2}:transit-gateway/tgw-1`),
        'TransitGateways',
        { duration: 'PT10M', region: 'eu-central-1' },
      ),
      [
        [
          'SwapTransitGatewayRouteTables',
          ['ec2:AssociateTransitGatewayRouteTable', 'ec2:DisassociateTransitGatewayRouteTable'],
          [`${EC2}:transit-gateway-route-table/*`, `${EC2}:transit-gateway-attachment/*`],
        ],
        [
          'DescribeNetwork',
          [
            'ec2:DescribeTransitGatewayAttachments',
            'ec2:DescribeTransitGatewayPeeringAttachments',
            'ec2:DescribeTransitGateways',
          ],
          ANY,
        ],
      ],
    ],
    [
      'network VPC endpoint disruption: the endpoint and the security group FIS creates',
      one(
        'aws:network:disrupt-vpc-endpoint',
        byArns('aws:ec2:vpc-endpoint', `${EC2}:vpc-endpoint/vpce-1`),
        'VPCEndpoints',
        {
          duration: 'PT5M',
        },
      ),
      [
        [
          'SwapTargetEndpointSecurityGroups',
          ['ec2:ModifyVpcEndpoint'],
          [`${EC2}:vpc-endpoint/vpce-1`, `${EC2}:security-group/*`],
        ],
        [
          'ManageFisSecurityGroup',
          ['ec2:CreateSecurityGroup', 'ec2:DeleteSecurityGroup', 'ec2:RevokeSecurityGroupEgress'],
          [`${EC2}:security-group/*`, `${EC2}:vpc/*`],
        ],
        [
          'TagFisSecurityGroup',
          ['ec2:CreateTags'],
          [`${EC2}:security-group/*`],
          {
            StringEquals: {
              'ec2:CreateAction': 'CreateSecurityGroup',
              'aws:RequestTag/managedByFIS': 'true',
            },
          },
        ],
        ['DescribeNetwork', ['ec2:DescribeVpcEndpoints', 'ec2:DescribeSecurityGroups'], ANY],
      ],
    ],
    [
      'Kinesis, Aurora DSQL and MemoryDB faults: listed stream and cluster, tagged multi-Region clusters (global ARNs)',
      {
        targets: {
          stream: byArns('aws:kinesis:stream', 'arn:aws:kinesis:eu-west-1:111122223333:stream/orders'),
          dsql: byArns('aws:dsql:cluster', 'arn:aws:dsql:eu-west-1:111122223333:cluster/abc'),
          mdb: byTags('aws:memorydb:multi-region-cluster'),
        },
        actions: {
          throughput: {
            actionId: 'aws:kinesis:stream-provisioned-throughput-exception',
            parameters: { duration: 'PT5M', percentage: '50' },
            targets: { KinesisStreams: 'stream' },
          },
          iterator: {
            actionId: 'aws:kinesis:stream-expired-iterator-exception',
            parameters: { duration: 'PT5M', percentage: '50' },
            targets: { KinesisStreams: 'stream' },
          },
          connections: {
            actionId: 'aws:dsql:cluster-connection-failure',
            parameters: { duration: 'PT5M', percentage: '30' },
            targets: { Clusters: 'dsql' },
          },
          replication: {
            actionId: 'aws:memorydb:multi-region-cluster-pause-replication',
            parameters: { duration: 'PT5M' },
            targets: { MultiRegionClusters: 'mdb' },
          },
        },
      },
      [
        [
          'InjectTargetStreamErrors',
          ['kinesis:InjectApiError'],
          ['arn:aws:kinesis:eu-west-1:111122223333:stream/orders'],
        ],
        [
          'InjectTargetDsqlClusterErrors',
          ['dsql:InjectError', 'dsql:GetCluster'],
          ['arn:aws:dsql:eu-west-1:111122223333:cluster/abc'],
        ],
        [
          'PauseTargetMultiRegionClusters',
          ['memorydb:PauseMultiRegionClusterReplication', 'memorydb:DescribeMultiRegionClusters'],
          ['arn:aws:memorydb::111122223333:multiregioncluster/*'],
        ],
        tagLookup,
      ],
    ],
    [
      "API error injection into a role's calls: within this account's experiments",
      one(
        'aws:fis:inject-api-throttle-error',
        byArns('aws:iam:role', 'arn:aws:iam::111122223333:role/api'),
        'Roles',
        {
          service: 'ec2',
          operations: 'DescribeInstances',
          percentage: '90',
          duration: 'PT5M',
        },
      ),
      [
        [
          'InjectApiErrors',
          ['fis:InjectApiThrottleError'],
          ['arn:aws:fis:eu-west-1:111122223333:experiment/*'],
        ],
      ],
    ],
    [
      'CloudWatch alarm assertion: exactly the asserted alarms',
      {
        actions: {
          assert: {
            actionId: 'aws:cloudwatch:assert-alarm-state',
            parameters: {
              alarmArns:
                'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:A, arn:aws:cloudwatch:eu-west-1:111122223333:alarm:B',
              alarmStates: 'OK',
            },
          },
        },
      },
      [
        [
          'DescribeAssertedAlarms',
          ['cloudwatch:DescribeAlarms'],
          [
            'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:A',
            'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:B',
          ],
        ],
      ],
    ],
    [
      'Lambda faults on tagged functions',
      one('aws:lambda:invocation-add-delay', byTags('aws:lambda:function'), 'Functions', {
        duration: 'PT1M',
      }),
      [
        [
          'InspectTargetFunctions',
          ['lambda:GetFunction'],
          ['arn:aws:lambda:eu-west-1:111122223333:function:*'],
        ],
        [
          'WriteFaultConfiguration',
          ['s3:PutObject', 's3:DeleteObject'],
          ['arn:aws:s3:::fis-config/FisConfigs/*'],
        ],
        tagLookup,
      ],
    ],
    [
      'Lambda faults on listed functions',
      one(
        'aws:lambda:invocation-error',
        byArns('aws:lambda:function', 'arn:aws:lambda:eu-west-1:111122223333:function:orders'),
        'Functions',
        {
          duration: 'PT1M',
        },
      ),
      [
        [
          'InspectTargetFunctions',
          ['lambda:GetFunction'],
          ['arn:aws:lambda:eu-west-1:111122223333:function:orders'],
        ],
        [
          'WriteFaultConfiguration',
          ['s3:PutObject', 's3:DeleteObject'],
          ['arn:aws:s3:::fis-config/FisConfigs/*'],
        ],
      ],
    ],
    [
      'wait and a Kubernetes custom resource: nothing beyond logging',
      {
        targets: { c: byArns('aws:eks:cluster', 'arn:aws:eks:eu-west-1:111122223333:cluster/shop') },
        actions: {
          wait: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1M' } },
          chaos: {
            actionId: 'aws:eks:inject-kubernetes-custom-resource',
            parameters: { kubernetesApiVersion: 'chaos-mesh.org/v1alpha1', kubernetesKind: 'PodChaos' },
            targets: { Cluster: 'c' },
          },
        },
      },
      [],
    ],
  ])('%s', (_name, input, expected) => {
    expect(permissions(input)).toEqual(expected);
  });
});

describe('buildFisPermissions', () => {
  test('every template gets the log delivery statements', () => {
    const statements = buildFisPermissions(
      experimentSchema.parse({
        actions: { wait: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1M' } } },
      }),
      ctx,
    );
    expect(statements.map((s) => s.sid)).toEqual(LOGGING);
  });

  test('targets chosen by different tag sets get a statement each (conditions of one statement all apply); filters only: no condition', () => {
    const input: ExperimentInput = {
      targets: {
        prod: byTags('aws:ec2:instance', { resourceTags: { env: 'prod' } }),
        team: byTags('aws:ec2:instance', { resourceTags: { team: 'payments', tier: 'web' } }),
        zone: {
          resourceType: 'aws:ec2:instance',
          filters: [{ path: 'Placement.AvailabilityZone', values: ['eu-west-1b'] }],
          selectionMode: 'ALL',
        },
      },
      actions: {
        a: { actionId: 'aws:ec2:reboot-instances', targets: { Instances: 'prod' } },
        b: { actionId: 'aws:ec2:reboot-instances', targets: { Instances: 'team' } },
        c: { actionId: 'aws:ec2:reboot-instances', targets: { Instances: 'zone' } },
      },
    };
    const reboots = permissions(input).filter(([sid]) => sid.startsWith('RebootTargetInstances'));
    expect(
      reboots.map(([sid, , resources, conditions]) => [
        sid.replace(/[0-9a-f]{8}$/, '#'),
        resources,
        conditions,
      ]),
    ).toEqual([
      [
        'RebootTargetInstancesTagged#',
        [`${EC2}:instance/*`],
        { StringEquals: { 'aws:ResourceTag/env': 'prod' } },
      ],
      [
        'RebootTargetInstancesTagged#',
        [`${EC2}:instance/*`],
        { StringEquals: { 'aws:ResourceTag/team': 'payments', 'aws:ResourceTag/tier': 'web' } },
      ],
      ['RebootTargetInstances', [`${EC2}:instance/*`], undefined],
    ]);
    expect(new Set(reboots.map(([sid]) => sid)).size).toBe(3);
  });

  test('two actions of one purpose share a statement with the union of their resources', () => {
    const input: ExperimentInput = {
      targets: {
        shop: byTags('aws:ecs:task', { parameters: { cluster: 'shop' } }),
        cart: byTags('aws:ecs:task', { parameters: { cluster: 'cart' } }),
      },
      actions: {
        a: { actionId: 'aws:ecs:stop-task', targets: { Tasks: 'shop' } },
        b: { actionId: 'aws:ecs:stop-task', targets: { Tasks: 'cart' } },
      },
    };
    expect(permissions(input)[0]).toEqual([
      'StopTargetTasks',
      ['ecs:DescribeTasks', 'ecs:StopTask'],
      ['arn:aws:ecs:eu-west-1:111122223333:task/shop/*', 'arn:aws:ecs:eu-west-1:111122223333:task/cart/*'],
    ]);
  });

  test('S3 pauses to two Regions: one statement, both destination Regions', () => {
    const input: ExperimentInput = {
      targets: { b: byTags('aws:s3:bucket') },
      actions: {
        a: {
          actionId: 'aws:s3:bucket-pause-replication',
          parameters: { region: 'eu-central-1' },
          targets: { Buckets: 'b' },
        },
        b: {
          actionId: 'aws:s3:bucket-pause-replication',
          parameters: { region: 'us-east-1' },
          targets: { Buckets: 'b' },
        },
      },
    };
    expect(permissions(input)[0]?.[3]).toEqual({
      StringEquals: {
        's3:DestinationRegion': ['eu-central-1', 'us-east-1'],
        'aws:ResourceAccount': '111122223333',
      },
    });
  });

  test('no statement of any supported action allows "*" actions, and "*" resources only for APIs without resource-level permissions', () => {
    // Describe*/List*, the Tagging API, log delivery, ssm:CancelCommand, ec2:InjectApiError (scoped by its condition keys).
    const unscoped =
      /^(ec2:Describe\w+|autoscaling:Describe\w+|ecs:ListTasks|ssm:(ListCommands|CancelCommand)|s3:ListAllMyBuckets|tag:GetResources|logs:CreateLogDelivery|ec2:InjectApiError)$/;
    for (const actionId of SUPPORTED_FIS_ACTIONS) {
      const input: ExperimentInput = {
        targets: { t: { resourceType: 'aws:any', resourceTags: { a: 'b' }, selectionMode: 'ALL' } },
        actions: { a: { actionId, parameters: {}, targets: { T: 't' } } },
      };
      for (const s of buildFisPermissions(experimentSchema.parse(input), ctx)) {
        for (const a of s.actions) expect(a, actionId).not.toMatch(/(^\*$)|(:\*$)/);
        if (s.resources.includes('*'))
          for (const a of s.actions) expect(a, `${actionId} ${s.sid}`).toMatch(unscoped);
      }
    }
  });

  test.each(['aws:directconnect:virtual-interface-disconnect', 'aws:arc:start-zonal-autoshift'])(
    '%s has no policy here: synthesis asks for an explicit roleArn',
    (actionId) => {
      const input: ExperimentInput = { actions: { cut: { actionId, parameters: { duration: 'PT1M' } } } };
      const build = () => buildFisPermissions(experimentSchema.parse(input), ctx);
      expect(build).toThrow(UnsupportedFisActionError);
      expect(build).toThrow(new RegExp(`${actionId}.*roleArn`));
    },
  );

  test('Lambda faults need the configuration bucket', () => {
    const input = one('aws:lambda:invocation-error', byTags('aws:lambda:function'), 'Functions');
    expect(() =>
      buildFisPermissions(experimentSchema.parse(input), { formatArn: ctx.formatArn, account: ctx.account }),
    ).toThrow(/configuration bucket/);
  });

  test.each([
    [one('aws:lambda:invocation-error', byTags('aws:lambda:function'), 'Functions'), true],
    [one('aws:ecs:stop-task', byTags('aws:ecs:task'), 'Tasks'), false],
  ])('usesLambdaFaults %#', (input, expected) => {
    expect(usesLambdaFaults(experimentSchema.parse(input))).toBe(expected);
  });
});
