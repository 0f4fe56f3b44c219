/**
 * What the FIS role of a template needs per action id, as data-producing functions: the actions of
 * the FIS actions reference's "Permissions" line for that action, on the resources of the
 * AWSFaultInjectionSimulator*Access managed policies — narrowed to the template's target ARNs, or
 * to this account and region when targets are chosen by tags, filters or parameters. Conditions the
 * managed policies use (the `managedByFIS` tag of the network actions) are kept. infra/README.md
 * ("FIS") cites the source of each row; an action id missing here fails synthesis.
 * Long because it is a table: 49 FIS actions and the reason for each wildcard, read top to bottom
 * like the actions reference it follows (a new action is one entry).
 */
import { createHash } from 'node:crypto';
import { type ArnComponents, ArnFormat } from 'aws-cdk-lib';
import type { ExperimentAction, ExperimentTarget } from '../core/schema.ts';

/** One IAM statement as data (so the FIS role of each template is table-tested). */
export interface PermissionStatement {
  sid: string;
  actions: string[];
  resources: string[];
  conditions?: Record<string, Record<string, string | string[]>>;
}

export interface FisPermissionContext {
  /** `Stack.formatArn`: ARNs come from CDK, not string concatenation. */
  formatArn(components: ArnComponents): string;
  /** The stack's account (`aws:ResourceAccount` conditions where a resource ARN has no account, as S3's). */
  account: string;
  /** Bucket FIS writes Lambda fault configurations to (needed by aws:lambda:invocation-* actions). */
  lambdaConfigObjectsArn?: string;
}

export interface ActionUse {
  actionName: string;
  action: ExperimentAction;
  /** The targets the action names, resolved from the template. */
  targets: ExperimentTarget[];
  ctx: FisPermissionContext;
}

export type ActionPolicy = (use: ActionUse) => PermissionStatement[];

/** Only for APIs without resource-level permissions (Describe*, List*, the Tagging API). */
const ANY = ['*'];

const slash = (ctx: FisPermissionContext, service: string, resource: string, name: string, over = {}) =>
  ctx.formatArn({ service, resource, resourceName: name, arnFormat: ArnFormat.SLASH_RESOURCE_NAME, ...over });
const colon = (ctx: FisPermissionContext, service: string, resource: string, name: string) =>
  ctx.formatArn({ service, resource, resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });

/** The targets' ARNs as written, or `pattern` for a target chosen by tags, filters or parameters. */
function targetArns(use: ActionUse, pattern: (target: ExperimentTarget) => string): string[] {
  return unique(use.targets.flatMap((t) => (t.resourceArns?.length ? t.resourceArns : [pattern(t)])));
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

const describe = (sid: string, actions: string[]): PermissionStatement => ({ sid, actions, resources: ANY });

/** The Sid suffix of a statement limited to one tag set: deterministic, alphanumeric (IAM Sids are). */
function tagSetSuffix(tags: Record<string, string>): string {
  const canonical = JSON.stringify(Object.entries(tags).sort(([a], [b]) => a.localeCompare(b)));
  return `Tagged${createHash('sha256').update(canonical).digest('hex').slice(0, 8)}`;
}

/**
 * `actions` on the targets: listed ARNs as written (statement `sid`); a target chosen by tags on
 * `pattern` with an `aws:ResourceTag` condition per tag — the resources FIS resolves carry them —
 * in a statement of its own per tag set (conditions of one statement all apply); a target chosen
 * by filters or parameters only on `pattern`. For services whose actions take `aws:ResourceTag`.
 */
function onTargets(use: ActionUse, sid: string, actions: string[], pattern: string): PermissionStatement[] {
  const listed = use.targets.flatMap((t) => t.resourceArns ?? []);
  const statements: PermissionStatement[] = listed.length
    ? [{ sid, actions, resources: unique(listed) }]
    : [];
  for (const target of use.targets) {
    if (target.resourceArns?.length) continue;
    const tags = target.resourceTags ?? {};
    if (Object.keys(tags).length === 0) {
      statements.push({ sid, actions, resources: [pattern] });
      continue;
    }
    const byTag = Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
    statements.push({
      sid: `${sid}${tagSetSuffix(tags)}`,
      actions,
      resources: [pattern],
      conditions: { StringEquals: byTag },
    });
  }
  return statements;
}

// --- EC2 -------------------------------------------------------------------------------------

const instanceStatements = (use: ActionUse, sid: string, actions: string[]) =>
  onTargets(use, sid, actions, slash(use.ctx, 'ec2', 'instance', '*'));
const describeInstances = describe('DescribeInstances', ['ec2:DescribeInstances']);
const describeSubnets = describe('DescribeSubnets', ['ec2:DescribeSubnets']);

/** `kms:CreateGrant` as AWSFaultInjectionSimulatorEC2Access grants it, on this account's keys. */
const restartEncryptedVolumes = (ctx: FisPermissionContext): PermissionStatement => ({
  sid: 'RestartEncryptedVolumes',
  actions: ['kms:CreateGrant'],
  resources: [slash(ctx, 'kms', 'key', '*')],
  conditions: {
    StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' },
    Bool: { 'kms:GrantIsForAWSResource': 'true' },
  },
});

/** `ec2:InjectApiError` for one capacity-error action, limited to its action id and its targets. */
const injectCapacityErrors =
  (sid: string, targetPattern: (ctx: FisPermissionContext) => string): ActionPolicy =>
  (use) => [
    {
      sid,
      actions: ['ec2:InjectApiError'],
      // ec2:InjectApiError names no resource type; the condition keys carry the scope.
      resources: ANY,
      conditions: {
        StringEquals: { 'ec2:FisActionId': use.action.actionId },
        'ForAllValues:ArnLike': { 'ec2:FisTargetArns': targetArns(use, () => targetPattern(use.ctx)) },
      },
    },
  ];

// --- ECS -------------------------------------------------------------------------------------

function clusterOf(target: ExperimentTarget): string {
  if (target.parameters?.cluster) return target.parameters.cluster;
  const fromArn = target.resourceArns?.map((a) => /:(?:task|cluster)\/([^/]+)/.exec(a)?.[1]);
  const names = unique((fromArn ?? []).filter((n): n is string => n !== undefined));
  return names.length === 1 ? (names[0] as string) : '*';
}

const tasks = (use: ActionUse) =>
  targetArns(use, (t) => slash(use.ctx, 'ecs', 'task', `${t.parameters?.cluster ?? '*'}/*`));
const listTasks: PermissionStatement = {
  sid: 'ListTasks',
  // ecs:ListTasks is authorised on container instances, not tasks: it takes no task ARN.
  actions: ['ecs:ListTasks'],
  resources: ANY,
};
const listAndCancelCommands = describe('ListAndCancelCommands', ['ssm:ListCommands', 'ssm:CancelCommand']);

/** An AWS-owned SSM document (`arn:…:ssm:<region>::document/<name>`: no account). */
const awsDocument = (ctx: FisPermissionContext, name: string) =>
  slash(ctx, 'ssm', 'document', name, { account: '' });

/**
 * The aws:ecs:task-* actions run an AWSFIS-Run-* document through the task's SSM agent sidecar,
 * registered as a managed instance tagged `ECS_TASK_ARN` (FIS user guide, "Use the AWS FIS
 * aws:ecs:task actions"): SendCommand on that document, and on managed instances of the target tasks.
 */
const ecsTaskFault =
  (document: (parameters: Record<string, string>) => string, network = false): ActionPolicy =>
  (use) => [
    { sid: 'DescribeTargetTasks', actions: ['ecs:DescribeTasks'], resources: tasks(use) },
    listTasks,
    {
      sid: 'SendFisDocuments',
      actions: ['ssm:SendCommand'],
      resources: [awsDocument(use.ctx, document(use.action.parameters))],
    },
    {
      sid: 'SendCommandToTargetTasks',
      actions: ['ssm:SendCommand'],
      resources: [slash(use.ctx, 'ssm', 'managed-instance', '*')],
      conditions: { StringLike: { 'aws:ResourceTag/ECS_TASK_ARN': tasks(use) } },
    },
    listAndCancelCommands,
    ...(network
      ? [
          {
            sid: 'DescribeTaskContainerInstances',
            actions: ['ecs:DescribeContainerInstances'],
            resources: unique(
              use.targets.map((t) => slash(use.ctx, 'ecs', 'container-instance', `${clusterOf(t)}/*`)),
            ),
          },
          describeInstances,
          describeSubnets,
        ]
      : []),
  ];

/** The `-ECS` document uses the ECS fault injection endpoints; the other one tc / iptables. */
const viaEndpoints = (ecs: string, otherwise: string) => (p: Record<string, string>) =>
  p.useEcsFaultInjectionEndpoints === 'true' ? ecs : otherwise;

// --- EKS -------------------------------------------------------------------------------------

function eksClusterArn(ctx: FisPermissionContext, identifier: string | undefined): string {
  if (identifier?.startsWith('arn:')) return identifier;
  return slash(ctx, 'eks', 'cluster', identifier ?? '*');
}

/** aws:eks:pod-* actions: FIS starts its pod through the cluster's API (RBAC), IAM only describes. */
const eksPodFault: ActionPolicy = (use) => [
  {
    sid: 'DescribeTargetEksClusters',
    actions: ['eks:DescribeCluster'],
    resources: unique(use.targets.map((t) => eksClusterArn(use.ctx, t.parameters?.clusterIdentifier))),
  },
  describeSubnets,
];

// --- network ---------------------------------------------------------------------------------

const FIS_REQUEST_TAG = { 'aws:RequestTag/managedByFIS': 'true' };
const FIS_RESOURCE_TAG = { StringEquals: { 'ec2:ResourceTag/managedByFIS': 'true' } };
const ec2 = (ctx: FisPermissionContext, resource: string) => slash(ctx, 'ec2', resource, '*');
const subnets = (use: ActionUse) => targetArns(use, () => ec2(use.ctx, 'subnet'));

/** Prefix lists FIS reads: this account's and AWS's own (the S3 / DynamoDB endpoints' lists). */
const readPrefixLists = (ctx: FisPermissionContext): PermissionStatement => ({
  sid: 'ReadPrefixListEntries',
  actions: ['ec2:GetManagedPrefixListEntries'],
  resources: [ec2(ctx, 'prefix-list'), slash(ctx, 'ec2', 'prefix-list', '*', { account: 'aws' })],
});

/** AWSFaultInjectionSimulatorNetworkAccess's statements for disrupt-connectivity, narrowed. */
const disruptConnectivity: ActionPolicy = ({ ctx, ...use }) => {
  const acl = ec2(ctx, 'network-acl');
  const vpc = ec2(ctx, 'vpc');
  return [
    {
      sid: 'CreateFisNetworkAcl',
      actions: ['ec2:CreateNetworkAcl'],
      resources: [acl],
      conditions: { StringEquals: FIS_REQUEST_TAG },
    },
    { sid: 'CreateNetworkAclInVpc', actions: ['ec2:CreateNetworkAcl'], resources: [vpc] },
    {
      sid: 'TagFisNetworkAcl',
      actions: ['ec2:CreateTags'],
      resources: [acl],
      conditions: { StringEquals: { 'ec2:CreateAction': 'CreateNetworkAcl', ...FIS_REQUEST_TAG } },
    },
    {
      sid: 'EditFisNetworkAcl',
      actions: ['ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAcl'],
      resources: [acl, vpc],
      conditions: FIS_RESOURCE_TAG,
    },
    {
      sid: 'SwapTargetSubnetNetworkAcl',
      actions: ['ec2:ReplaceNetworkAclAssociation'],
      resources: [...subnets({ ctx, ...use }), acl],
    },
    readPrefixLists(ctx),
    describe('DescribeNetwork', [
      'ec2:DescribeManagedPrefixLists',
      'ec2:DescribeNetworkAcls',
      'ec2:DescribeSubnets',
      'ec2:DescribeVpcs',
    ]),
  ];
};

/** The managed policy's route-table, network-interface and prefix-list statements, narrowed. */
const routeTableCrossRegion: ActionPolicy = (use) => {
  const { ctx } = use;
  const table = ec2(ctx, 'route-table');
  const eni = ec2(ctx, 'network-interface');
  const prefixList = ec2(ctx, 'prefix-list');
  const vpc = ec2(ctx, 'vpc');
  const tagOnCreate = (sid: string, resource: string, createAction: string): PermissionStatement => ({
    sid,
    actions: ['ec2:CreateTags'],
    resources: [resource],
    conditions: { StringEquals: { 'ec2:CreateAction': createAction, ...FIS_REQUEST_TAG } },
  });
  const created = (sid: string, actions: string[], resource: string): PermissionStatement => ({
    sid,
    actions,
    resources: [resource],
    conditions: { StringEquals: FIS_REQUEST_TAG },
  });
  const owned = (sid: string, actions: string[], resources: string[]): PermissionStatement => ({
    sid,
    actions,
    resources,
    conditions: FIS_RESOURCE_TAG,
  });
  return [
    created('CreateFisRouteTable', ['ec2:CreateRouteTable'], table),
    { sid: 'CreateRouteTableInVpc', actions: ['ec2:CreateRouteTable'], resources: [vpc] },
    tagOnCreate('TagFisRouteTable', table, 'CreateRouteTable'),
    tagOnCreate('TagFisNetworkInterface', eni, 'CreateNetworkInterface'),
    tagOnCreate('TagFisPrefixList', prefixList, 'CreateManagedPrefixList'),
    owned('DeleteFisRouteTable', ['ec2:DeleteRouteTable'], [table, vpc]),
    owned('AddRoutesToFisRouteTable', ['ec2:CreateRoute'], [table]),
    created('CreateFisNetworkInterface', ['ec2:CreateNetworkInterface'], eni),
    {
      sid: 'CreateNetworkInterfaceInTargetSubnets',
      actions: ['ec2:CreateNetworkInterface'],
      resources: [...subnets(use), ec2(ctx, 'security-group')],
    },
    owned('DeleteFisNetworkInterface', ['ec2:DeleteNetworkInterface'], [eni]),
    created('CreateFisPrefixList', ['ec2:CreateManagedPrefixList'], prefixList),
    owned(
      'ChangeFisPrefixList',
      ['ec2:DeleteManagedPrefixList', 'ec2:ModifyManagedPrefixList'],
      [prefixList],
    ),
    {
      sid: 'SwapTargetSubnetRouteTable',
      actions: ['ec2:ReplaceRouteTableAssociation', 'ec2:AssociateRouteTable'],
      resources: [...subnets(use), table],
    },
    owned('DisassociateFisRouteTable', ['ec2:DisassociateRouteTable'], [table]),
    {
      sid: 'DisassociateTargetSubnetRouteTable',
      actions: ['ec2:DisassociateRouteTable'],
      resources: subnets(use),
    },
    owned('ModifyVpcEndpointOnFisRouteTable', ['ec2:ModifyVpcEndpoint'], [table]),
    { sid: 'ModifyVpcEndpoints', actions: ['ec2:ModifyVpcEndpoint'], resources: [ec2(ctx, 'vpc-endpoint')] },
    readPrefixLists(ctx),
    describe('DescribeNetwork', [
      'ec2:DescribeManagedPrefixLists',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeRouteTables',
      'ec2:DescribeSubnets',
      'ec2:DescribeVpcPeeringConnections',
      'ec2:DescribeVpcs',
    ]),
  ];
};

const transitGatewayCrossRegion: ActionPolicy = ({ ctx }) => [
  {
    sid: 'SwapTransitGatewayRouteTables',
    actions: ['ec2:AssociateTransitGatewayRouteTable', 'ec2:DisassociateTransitGatewayRouteTable'],
    resources: [ec2(ctx, 'transit-gateway-route-table'), ec2(ctx, 'transit-gateway-attachment')],
  },
  describe('DescribeNetwork', [
    'ec2:DescribeTransitGatewayAttachments',
    'ec2:DescribeTransitGatewayPeeringAttachments',
    'ec2:DescribeTransitGateways',
  ]),
];

/**
 * FIS swaps the endpoints' security groups for an empty one it creates and back (actions reference;
 * the statements of the Resilience Hub "Multi-Region: isolation" execution role).
 */
const disruptVpcEndpoint: ActionPolicy = (use) => {
  const { ctx } = use;
  const group = ec2(ctx, 'security-group');
  return [
    {
      sid: 'SwapTargetEndpointSecurityGroups',
      actions: ['ec2:ModifyVpcEndpoint'],
      resources: [...targetArns(use, () => ec2(ctx, 'vpc-endpoint')), group],
    },
    {
      sid: 'ManageFisSecurityGroup',
      actions: ['ec2:CreateSecurityGroup', 'ec2:DeleteSecurityGroup', 'ec2:RevokeSecurityGroupEgress'],
      resources: [group, ec2(ctx, 'vpc')],
    },
    {
      sid: 'TagFisSecurityGroup',
      actions: ['ec2:CreateTags'],
      resources: [group],
      conditions: { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup', ...FIS_REQUEST_TAG } },
    },
    describe('DescribeNetwork', ['ec2:DescribeVpcEndpoints', 'ec2:DescribeSecurityGroups']),
  ];
};

// --- data stores, API faults ------------------------------------------------------------------

const kinesisApiError: ActionPolicy = (use) => [
  {
    sid: 'InjectTargetStreamErrors',
    actions: ['kinesis:InjectApiError'],
    resources: targetArns(use, () => slash(use.ctx, 'kinesis', 'stream', '*')),
  },
];

/** aws:fis:inject-api-*: FIS injects the errors into the target roles' calls within its own experiment. */
const injectApiFault =
  (permission: string): ActionPolicy =>
  ({ ctx }) => [
    { sid: 'InjectApiErrors', actions: [permission], resources: [slash(ctx, 'fis', 'experiment', '*')] },
  ];

// --- SSM -------------------------------------------------------------------------------------

/** `AutomationAssumeRole` of the document parameters, when it is an ARN. */
function automationRole(parameters: Record<string, string>): string | undefined {
  try {
    const value = (JSON.parse(parameters.documentParameters ?? '{}') as Record<string, unknown>)
      .AutomationAssumeRole;
    const role = Array.isArray(value) ? value[0] : value;
    return typeof role === 'string' && role.startsWith('arn:') ? role : undefined;
  } catch {
    return undefined;
  }
}

const startAutomation: ActionPolicy = ({ action, ctx }) => {
  const document = action.parameters.documentArn ?? '';
  const name = /:document\/(.+)$/.exec(document)?.[1] ?? '*';
  const executions = slash(ctx, 'ssm', 'automation-execution', '*');
  const role = automationRole(action.parameters);
  return [
    {
      sid: 'StartAutomation',
      actions: ['ssm:StartAutomationExecution'],
      resources: unique([document, slash(ctx, 'ssm', 'automation-definition', `${name}:*`), executions]),
    },
    {
      sid: 'ControlAutomation',
      actions: ['ssm:GetAutomationExecution', 'ssm:StopAutomationExecution'],
      resources: [executions],
    },
    ...(role
      ? [
          {
            sid: 'PassAutomationRole',
            actions: ['iam:PassRole'],
            resources: [role],
            conditions: { StringEquals: { 'iam:PassedToService': 'ssm.amazonaws.com' } },
          },
        ]
      : []),
  ];
};

// --- the table -------------------------------------------------------------------------------

const LAMBDA_INVOCATION: ActionPolicy = (use) => {
  if (!use.ctx.lambdaConfigObjectsArn)
    throw new Error(`action ${use.actionName}: no FIS Lambda configuration bucket`);
  return [
    {
      sid: 'InspectTargetFunctions',
      actions: ['lambda:GetFunction'],
      resources: targetArns(use, () => colon(use.ctx, 'lambda', 'function', '*')),
    },
    {
      sid: 'WriteFaultConfiguration',
      actions: ['s3:PutObject', 's3:DeleteObject'],
      resources: [use.ctx.lambdaConfigObjectsArn],
    },
  ];
};

export const LAMBDA_FAULT_ACTIONS = [
  'aws:lambda:invocation-add-delay',
  'aws:lambda:invocation-error',
  'aws:lambda:invocation-http-integration-response',
] as const;

export const FIS_ACTION_POLICIES: Record<string, ActionPolicy> = {
  ...Object.fromEntries(LAMBDA_FAULT_ACTIONS.map((id) => [id, LAMBDA_INVOCATION])),
  'aws:fis:wait': () => [],
  'aws:cloudwatch:assert-alarm-state': ({ action }) => [
    {
      sid: 'DescribeAssertedAlarms',
      actions: ['cloudwatch:DescribeAlarms'],
      resources: (action.parameters.alarmArns ?? '')
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean),
    },
  ],

  'aws:ec2:stop-instances': (use) => [
    ...instanceStatements(use, 'StopAndStartTargetInstances', ['ec2:StopInstances', 'ec2:StartInstances']),
    ...(use.action.parameters.completeIfInstancesTerminated === 'true' ? [describeInstances] : []),
    ...(use.action.parameters.startInstancesAfterDuration ? [restartEncryptedVolumes(use.ctx)] : []),
  ],
  'aws:ec2:terminate-instances': (use) => [
    ...instanceStatements(use, 'TerminateTargetInstances', ['ec2:TerminateInstances']),
    describeInstances,
  ],
  'aws:ec2:reboot-instances': (use) => [
    ...instanceStatements(use, 'RebootTargetInstances', ['ec2:RebootInstances']),
    describeInstances,
  ],
  'aws:ec2:send-spot-instance-interruptions': (use) => [
    ...instanceStatements(use, 'InterruptTargetSpotInstances', ['ec2:SendSpotInstanceInterruptions']),
    describeInstances,
  ],
  'aws:ec2:asg-insufficient-instance-capacity-error': (use) => [
    ...injectCapacityErrors('InjectAsgCapacityErrors', (ctx) =>
      ctx.formatArn({
        service: 'autoscaling',
        resource: 'autoScalingGroup',
        resourceName: '*:autoScalingGroupName/*',
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    )(use),
    describe('DescribeAutoScalingGroups', ['autoscaling:DescribeAutoScalingGroups']),
  ],
  'aws:ec2:api-insufficient-instance-capacity-error': injectCapacityErrors('InjectApiCapacityErrors', (ctx) =>
    slash(ctx, 'iam', 'role', '*', { region: '' }),
  ),
  'aws:ebs:pause-volume-io': (use) => [
    ...onTargets(use, 'PauseTargetVolumesIo', ['ec2:PauseVolumeIO'], ec2(use.ctx, 'volume')),
    describe('DescribeVolumes', ['ec2:DescribeVolumes']),
  ],
  'aws:ebs:volume-io-latency': (use) => [
    ...onTargets(use, 'DelayTargetVolumesIo', ['ec2:InjectVolumeIOLatency'], ec2(use.ctx, 'volume')),
    describe('DescribeVolumes', ['ec2:DescribeVolumes']),
  ],

  'aws:ecs:stop-task': (use) => [
    { sid: 'StopTargetTasks', actions: ['ecs:DescribeTasks', 'ecs:StopTask'], resources: tasks(use) },
    listTasks,
  ],
  'aws:ecs:task-cpu-stress': ecsTaskFault(() => 'AWSFIS-Run-CPU-Stress'),
  'aws:ecs:task-io-stress': ecsTaskFault(() => 'AWSFIS-Run-IO-Stress'),
  'aws:ecs:task-kill-process': ecsTaskFault(() => 'AWSFIS-Run-Kill-Process'),
  'aws:ecs:task-network-blackhole-port': ecsTaskFault(
    viaEndpoints('AWSFIS-Run-Network-Blackhole-Port-ECS', 'AWSFIS-Run-Network-Blackhole-Port'),
  ),
  'aws:ecs:task-network-latency': ecsTaskFault(
    viaEndpoints('AWSFIS-Run-Network-Latency-ECS', 'AWSFIS-Run-Network-Latency-Sources'),
    true,
  ),
  'aws:ecs:task-network-packet-loss': ecsTaskFault(
    viaEndpoints('AWSFIS-Run-Network-Packet-Loss-ECS', 'AWSFIS-Run-Network-Packet-Loss-Sources'),
    true,
  ),
  'aws:ecs:drain-container-instances': (use) => [
    {
      sid: 'ReadTargetClusters',
      actions: ['ecs:DescribeClusters', 'ecs:ListContainerInstances'],
      resources: targetArns(use, () => slash(use.ctx, 'ecs', 'cluster', '*')),
    },
    {
      sid: 'DrainContainerInstances',
      actions: ['ecs:UpdateContainerInstancesState'],
      resources: unique(
        use.targets.map((t) => slash(use.ctx, 'ecs', 'container-instance', `${clusterOf(t)}/*`)),
      ),
    },
  ],

  'aws:eks:pod-cpu-stress': eksPodFault,
  'aws:eks:pod-delete': eksPodFault,
  'aws:eks:pod-io-stress': eksPodFault,
  'aws:eks:pod-memory-stress': eksPodFault,
  'aws:eks:pod-network-blackhole-port': eksPodFault,
  'aws:eks:pod-network-latency': eksPodFault,
  'aws:eks:pod-network-packet-loss': eksPodFault,
  // Runs a Chaos Mesh / Litmus resource through the cluster's API: Kubernetes RBAC, no IAM permission.
  'aws:eks:inject-kubernetes-custom-resource': () => [],
  'aws:eks:terminate-nodegroup-instances': (use) => [
    {
      sid: 'DescribeTargetNodegroups',
      actions: ['eks:DescribeNodegroup'],
      resources: targetArns(use, () => slash(use.ctx, 'eks', 'nodegroup', '*')),
    },
    describeInstances,
    {
      sid: 'TerminateNodegroupInstances',
      actions: ['ec2:TerminateInstances'],
      // A node group's instance ids are only known when FIS picks them.
      resources: [ec2(use.ctx, 'instance')],
    },
  ],

  'aws:rds:failover-db-cluster': (use) => [
    ...onTargets(
      use,
      'FailoverTargetDbClusters',
      ['rds:FailoverDBCluster'],
      colon(use.ctx, 'rds', 'cluster', '*'),
    ),
    {
      sid: 'DescribeDbClusters',
      actions: ['rds:DescribeDBClusters'],
      resources: [colon(use.ctx, 'rds', 'cluster', '*')],
    },
  ],
  'aws:rds:reboot-db-instances': (use) => [
    ...onTargets(use, 'RebootTargetDbInstances', ['rds:RebootDBInstance'], colon(use.ctx, 'rds', 'db', '*')),
    {
      sid: 'DescribeDbInstances',
      actions: ['rds:DescribeDBInstances'],
      resources: [colon(use.ctx, 'rds', 'db', '*')],
    },
  ],

  'aws:dynamodb:global-table-pause-replication': (use) => [
    {
      sid: 'PauseTableReplication',
      // FIS adds a deny statement to the table's and its stream's resource policies; InjectError is
      // for multi-Region strongly consistent tables.
      actions: [
        'dynamodb:DescribeTable',
        'dynamodb:GetResourcePolicy',
        'dynamodb:PutResourcePolicy',
        'dynamodb:DeleteResourcePolicy',
        'dynamodb:InjectError',
      ],
      resources: targetArns(use, () => slash(use.ctx, 'dynamodb', 'table', '*')).flatMap((arn) =>
        arn.endsWith('*') ? [arn] : [arn, `${arn}/stream/*`],
      ),
    },
  ],
  'aws:elasticache:replicationgroup-interrupt-az-power': elastiCacheAzPower(),
  'aws:elasticache:interrupt-cluster-az-power': elastiCacheAzPower(),
  'aws:s3:bucket-pause-replication': ({ action, ctx }) => {
    const anyBucket = ctx.formatArn({ service: 's3', region: '', account: '', resource: '*' });
    const thisAccount = { 'aws:ResourceAccount': ctx.account };
    return [
      {
        sid: 'PauseBucketReplication',
        actions: ['s3:PauseReplication'],
        // The action selects buckets by tag only: their names are unknown until FIS resolves them.
        resources: [anyBucket],
        conditions: {
          StringEquals: { 's3:DestinationRegion': action.parameters.region ?? '', ...thisAccount },
        },
      },
      {
        sid: 'ReplicationConfigurationForPause',
        actions: ['s3:GetReplicationConfiguration', 's3:PutReplicationConfiguration'],
        resources: [anyBucket],
        conditions: {
          BoolIfExists: { 's3:IsReplicationPauseRequest': 'true' },
          StringEquals: thisAccount,
        },
      },
      describe('ListBuckets', ['s3:ListAllMyBuckets']),
    ];
  },

  'aws:ssm:send-command': (use) => [
    // The document in a statement of its own: a tag condition on the instances does not hold for it.
    {
      sid: 'SendCommandDocument',
      actions: ['ssm:SendCommand'],
      resources: [use.action.parameters.documentArn ?? ''],
    },
    ...instanceStatements(use, 'SendCommandToTargetInstances', ['ssm:SendCommand']),
    listAndCancelCommands,
  ],
  'aws:ssm:start-automation-execution': startAutomation,

  'aws:network:disrupt-connectivity': disruptConnectivity,
  'aws:network:route-table-disrupt-cross-region-connectivity': routeTableCrossRegion,
  'aws:network:transit-gateway-disrupt-cross-region-connectivity': transitGatewayCrossRegion,
  'aws:network:disrupt-vpc-endpoint': disruptVpcEndpoint,

  'aws:kinesis:stream-provisioned-throughput-exception': kinesisApiError,
  'aws:kinesis:stream-expired-iterator-exception': kinesisApiError,
  'aws:dsql:cluster-connection-failure': (use) => [
    {
      sid: 'InjectTargetDsqlClusterErrors',
      actions: ['dsql:InjectError', 'dsql:GetCluster'],
      resources: targetArns(use, () => slash(use.ctx, 'dsql', 'cluster', '*')),
    },
  ],
  'aws:memorydb:multi-region-cluster-pause-replication': (use) => [
    {
      sid: 'PauseTargetMultiRegionClusters',
      actions: ['memorydb:PauseMultiRegionClusterReplication', 'memorydb:DescribeMultiRegionClusters'],
      // Multi-Region clusters are global: their ARNs have no Region.
      resources: targetArns(use, () => slash(use.ctx, 'memorydb', 'multiregioncluster', '*', { region: '' })),
    },
  ],
  'aws:fis:inject-api-internal-error': injectApiFault('fis:InjectApiInternalError'),
  'aws:fis:inject-api-throttle-error': injectApiFault('fis:InjectApiThrottleError'),
  'aws:fis:inject-api-unavailable-error': injectApiFault('fis:InjectApiUnavailableError'),
};

function elastiCacheAzPower(): ActionPolicy {
  return (use) => [
    {
      sid: 'InterruptTargetReplicationGroupsAzPower',
      actions: ['elasticache:InterruptClusterAzPower'],
      resources: targetArns(use, () => colon(use.ctx, 'elasticache', 'replicationgroup', '*')),
    },
    {
      sid: 'DescribeReplicationGroups',
      actions: ['elasticache:DescribeReplicationGroups'],
      resources: [colon(use.ctx, 'elasticache', 'replicationgroup', '*')],
    },
  ];
}

const chosenAtStart = (what: string) =>
  `${what} are chosen by tag, filter or parameters when the experiment starts, so their ARNs are unknown at deploy time; scoped to this account and Region (ARNs listed in the template are used as they are).`;
const noResourceLevel = (api: string) => `${api} has no resource-level permissions (FIS actions reference).`;
const fisCreated = (what: string) =>
  `${what} FIS creates during the action have ids unknown until then; limited to this account and Region and to resources carrying the managedByFIS=true tag, as AWSFaultInjectionSimulatorNetworkAccess does.`;

/**
 * Why an FIS role statement may keep a wildcard resource, by Sid (read by nag-suppressions.ts); a
 * tag-limited statement (`onTargets`) gives its base Sid's reason and its condition. A Sid without
 * a reason stays an unacknowledged cdk-nag IAM5 error.
 */
export function fisWildcardReason(sid: string): string | undefined {
  if (Object.hasOwn(FIS_WILDCARD_REASONS, sid)) return FIS_WILDCARD_REASONS[sid];
  const base = /^(\w+?)Tagged[0-9a-f]{8}$/.exec(sid)?.[1];
  const reason = base && Object.hasOwn(FIS_WILDCARD_REASONS, base) ? FIS_WILDCARD_REASONS[base] : undefined;
  return reason && `${reason} Limited by aws:ResourceTag conditions to resources carrying the target's tags.`;
}

const FIS_WILDCARD_REASONS: Record<string, string> = {
  StopAndStartTargetInstances: chosenAtStart('EC2 instances'),
  TerminateTargetInstances: chosenAtStart('EC2 instances'),
  RebootTargetInstances: chosenAtStart('EC2 instances'),
  InterruptTargetSpotInstances: chosenAtStart('Spot Instances'),
  RestartEncryptedVolumes:
    "Restarting a stopped instance with encrypted EBS volumes needs a grant on the volumes' KMS key, unknown at deploy time; limited to this account's keys, to grants EC2 makes for AWS resources (kms:ViaService, kms:GrantIsForAWSResource), as AWSFaultInjectionSimulatorEC2Access does.",
  InjectAsgCapacityErrors:
    'ec2:InjectApiError names no resource type; it is limited by its condition keys to this FIS action id and the target Auto Scaling groups (FIS user guide, "Use condition keys for ec2:InjectApiError").',
  InjectApiCapacityErrors:
    'ec2:InjectApiError names no resource type; it is limited by its condition keys to this FIS action id and the target IAM roles (FIS user guide, "Use condition keys for ec2:InjectApiError").',
  DescribeAutoScalingGroups: noResourceLevel('autoscaling:DescribeAutoScalingGroups'),
  DescribeInstances: noResourceLevel('ec2:DescribeInstances'),
  DescribeSubnets: noResourceLevel('ec2:DescribeSubnets'),
  DescribeVolumes: noResourceLevel('ec2:DescribeVolumes'),
  DescribeNetwork: noResourceLevel(
    'ec2:Describe* (VPCs, subnets, network ACLs, route tables, prefix lists, transit gateways)',
  ),
  PauseTargetVolumesIo: chosenAtStart('EBS volumes'),
  DelayTargetVolumesIo: chosenAtStart('EBS volumes'),
  DescribeTargetTasks: chosenAtStart('ECS tasks (task ids change with every deployment)'),
  SendCommandToTargetTasks:
    'The SSM managed instances of ECS tasks are registered by the task when it starts (ids unknown at deploy time); limited by the ECS_TASK_ARN tag to the target tasks.',
  ListAndCancelCommands: noResourceLevel('ssm:ListCommands / ssm:CancelCommand'),
  DescribeTaskContainerInstances:
    'Container instances of the target cluster join and leave it; scoped to that cluster.',
  ReadTargetClusters: chosenAtStart('ECS clusters'),
  DrainContainerInstances:
    'Container instances of the target clusters join and leave them; scoped to those clusters.',
  DescribeTargetEksClusters: chosenAtStart('EKS clusters'),
  DescribeTargetNodegroups: chosenAtStart('EKS node groups'),
  TerminateNodegroupInstances:
    'The instances of a node group are only known when FIS picks them; scoped to instances of this account and Region, as AWSFaultInjectionSimulatorEKSAccess does (which allows every Region).',
  FailoverTargetDbClusters: chosenAtStart('Aurora DB clusters'),
  DescribeDbClusters:
    'FIS lists the DB clusters to resolve the targets (read-only); clusters of this account and Region.',
  RebootTargetDbInstances: chosenAtStart('RDS DB instances'),
  DescribeDbInstances:
    'FIS lists the DB instances to resolve the targets (read-only); instances of this account and Region.',
  PauseTableReplication:
    "FIS edits the resource policy of the table and of its streams, whose ARNs carry the stream's creation time; tables chosen by tag are scoped to this account and Region.",
  InterruptTargetReplicationGroupsAzPower: chosenAtStart('ElastiCache replication groups'),
  DescribeReplicationGroups:
    'FIS lists the replication groups to resolve the targets (read-only); groups of this account and Region.',
  PauseBucketReplication:
    'aws:s3:bucket-pause-replication selects buckets by tag only, and bucket ARNs have no account or Region: limited to buckets of this account (aws:ResourceAccount) and to the destination Region of the action (s3:DestinationRegion).',
  ReplicationConfigurationForPause:
    'Buckets are selected by tag only; limited to pause requests (s3:IsReplicationPauseRequest, FIS user guide) on buckets of this account.',
  ListBuckets: noResourceLevel('s3:ListAllMyBuckets'),
  SendCommandToTargetInstances: chosenAtStart('EC2 instances'),
  StartAutomation:
    'An automation execution id is created by the call; the runbook is named exactly, executions are of this account and Region.',
  ControlAutomation:
    'FIS polls and stops the execution it started, whose id is created at start; executions of this account and Region.',
  CreateFisNetworkAcl: fisCreated('Network ACLs'),
  CreateNetworkAclInVpc:
    "The target subnets' VPC is resolved when the experiment starts; VPCs of this account and Region, as the managed policy allows.",
  TagFisNetworkAcl: fisCreated('Network ACLs'),
  EditFisNetworkAcl: fisCreated('Network ACLs'),
  SwapTargetSubnetNetworkAcl:
    "FIS swaps the subnet's network ACL for its clone and back: the original ACL's id is read at start; subnets are the targets'.",
  ReadPrefixListEntries:
    'FIS reads the entries of the prefix list the scope names (the S3 and DynamoDB endpoints use AWS-owned lists); read-only, this account and AWS in this Region.',
  CreateFisRouteTable: fisCreated('Route tables'),
  CreateRouteTableInVpc:
    "The target subnets' VPC is resolved when the experiment starts; VPCs of this account and Region, as the managed policy allows.",
  TagFisRouteTable: fisCreated('Route tables'),
  TagFisNetworkInterface: fisCreated('Network interfaces'),
  TagFisPrefixList: fisCreated('Prefix lists'),
  DeleteFisRouteTable: fisCreated('Route tables'),
  AddRoutesToFisRouteTable: fisCreated('Route tables'),
  CreateFisNetworkInterface: fisCreated('Network interfaces'),
  CreateNetworkInterfaceInTargetSubnets:
    'FIS creates its network interfaces in the target subnets with the security group it resolves at start; security groups of this account and Region.',
  DeleteFisNetworkInterface: fisCreated('Network interfaces'),
  CreateFisPrefixList: fisCreated('Prefix lists'),
  ChangeFisPrefixList: fisCreated('Prefix lists'),
  SwapTargetSubnetRouteTable:
    "FIS swaps the target subnets' route tables for its own and back: the original tables' ids are read at start.",
  DisassociateFisRouteTable: fisCreated('Route tables'),
  DisassociateTargetSubnetRouteTable: chosenAtStart('Subnets'),
  ModifyVpcEndpointOnFisRouteTable: fisCreated('Route tables'),
  ModifyVpcEndpoints:
    "Gateway endpoints of the target subnets' route tables are found at start; endpoints of this account and Region, as the managed policy allows.",
  SwapTargetEndpointSecurityGroups:
    'FIS moves the target endpoints to the security group it creates at start (id unknown until then) and back to their own; security groups of this account and Region.',
  ManageFisSecurityGroup:
    "FIS creates, empties and deletes its own security group in the endpoints' VPC, both known only at start; this account and Region (the Resilience Hub execution role grants the same).",
  TagFisSecurityGroup: fisCreated('Security groups'),
  InjectTargetStreamErrors: chosenAtStart('Kinesis data streams'),
  InjectTargetDsqlClusterErrors: chosenAtStart('Aurora DSQL clusters'),
  PauseTargetMultiRegionClusters: chosenAtStart('MemoryDB multi-Region clusters'),
  InjectApiErrors:
    'The fis:InjectApi* permissions are authorised on the experiment, whose id exists only once it starts; experiments of this account and Region.',
  SwapTransitGatewayRouteTables:
    'The peering attachments and route tables of the target transit gateways are resolved at start; this account and Region, as the managed policy allows.',
};
