/**
 * AWS FIS actions as data: every action of the AWS FIS actions reference
 * (https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html and the per-family
 * pages it links: ecs-task-actions, eks-pod-actions, use-lambda-actions), transcribed 2026-12-06 from
 * the reference's text. The reference does not print target keys (ListActions does): the keys are
 * those of AWS's published templates.
 * Types live in fis-action-spec.ts; this file is only the table, so a new AWS action is one entry here.
 */
import type { FisActionSpec, FisParameter, FisScenario, SsmDocumentMapping } from './fis-action-spec.ts';

/** Where the table was read, and when (printed by `FIS_CATALOG_SOURCE` users and in chaos/README). */
export const FIS_CATALOG_SOURCE = {
  url: 'https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html',
  retrieved: '2026-12-06',
} as const;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const duration = (
  minMs = MINUTE,
  maxMs = 12 * HOUR,
  description = 'How long the action lasts (ISO 8601, e.g. PT5M).',
): FisParameter => ({ kind: 'duration', required: true, minMs, maxMs, description });
const optional = (p: FisParameter, value?: string): FisParameter => ({
  ...p,
  required: false,
  ...(value === undefined ? {} : { default: value }),
});
const percent = (description: string, min = 0, fallback?: string): FisParameter => ({
  kind: 'percent',
  required: fallback === undefined,
  min,
  max: 100,
  ...(fallback === undefined ? {} : { default: fallback }),
  description,
});
const integer = (description: string, min: number, max?: number, fallback?: string): FisParameter => ({
  kind: 'integer',
  required: fallback === undefined,
  min,
  ...(max === undefined ? {} : { max }),
  ...(fallback === undefined ? {} : { default: fallback }),
  description,
});
const bool = (description: string, fallback?: string): FisParameter => ({
  kind: 'boolean',
  required: fallback === undefined,
  ...(fallback === undefined ? {} : { default: fallback }),
  description,
});
const text = (
  description: string,
  required = true,
  values?: readonly string[],
  fallback?: string,
): FisParameter => ({
  kind: 'string',
  required,
  ...(values ? { values } : {}),
  ...(fallback === undefined ? {} : { default: fallback }),
  description,
});
const list = (description: string, required = true, values?: readonly string[]): FisParameter => ({
  kind: 'list',
  required,
  ...(values ? { values } : {}),
  description,
});
const json = (description: string, required = false): FisParameter => ({
  kind: 'json',
  required,
  description,
});

/** An AWS Region parameter (cross-Region actions). */
const region = (description: string): FisParameter => ({
  ...text(description),
  pattern: { regex: /^[a-z]{2}(-gov)?-[a-z]+-\d$/, example: 'eu-central-1' },
});

/**
 * AWS's pre-configured FIS SSM documents (AWSFIS-*, run with aws:ssm:send-command on EC2 instances)
 * that are network faults or a process kill, which is how FIS faults an EC2 instance's network. Their
 * defaults are those AWS documents for the ECS and EKS actions built on the same faults (200 ms ± 10,
 * 7 % loss, SIGTERM); the CPU, memory and I/O stress documents have no local meaning.
 */
const fisSsmDocuments: Record<string, SsmDocumentMapping> = {
  'AWSFIS-Run-Network-Latency': {
    family: 'network/latency',
    localMapping: { delayMs: 'DelayMilliseconds', jitterMs: 'JitterMilliseconds' },
    defaults: { DelayMilliseconds: '200', JitterMilliseconds: '10' },
  },
  'AWSFIS-Run-Network-Latency-Sources': {
    family: 'network/latency',
    localMapping: { delayMs: 'DelayMilliseconds', jitterMs: 'JitterMilliseconds' },
    defaults: { DelayMilliseconds: '200', JitterMilliseconds: '10' },
  },
  'AWSFIS-Run-Network-Packet-Loss': {
    family: 'network/packet-loss',
    localMapping: { percent: ['LossPercent'] },
    defaults: { LossPercent: '7' },
  },
  'AWSFIS-Run-Network-Packet-Loss-Sources': {
    family: 'network/packet-loss',
    localMapping: { percent: ['LossPercent'] },
    defaults: { LossPercent: '7' },
  },
  'AWSFIS-Run-Network-Blackhole-Port': { family: 'network/blackhole' },
  'AWSFIS-Run-Kill-Process': {
    family: 'process/kill',
    localMapping: { signal: 'Signal' },
    defaults: { Signal: 'SIGTERM' },
  },
};

const invocationPercentage = percent('Percentage (1–100) of invocations that get the fault.', 1, '100');

/** The parameters every `aws:fis:inject-api-*` action takes. */
const injectApi = {
  duration: duration(),
  operations: list('Comma-separated API operations of the service (e.g. DescribeInstances).'),
  percentage: percent('Percentage (1–100) of calls that get the fault.', 1),
  service: text('The AWS API namespace.', true, ['ec2', 'kinesis']),
} satisfies Record<string, FisParameter>;

/** The parameters of the `aws:ecs:task-*` actions that run the SSM agent sidecar. */
const ecsTask = {
  installDependencies: bool(
    'Install the tools the fault needs (stress-ng, tc, iptables) in the task.',
    'true',
  ),
} satisfies Record<string, FisParameter>;
const ecsNetwork = {
  ...ecsTask,
  useEcsFaultInjectionEndpoints: bool(
    'Use the ECS agent fault-injection endpoints (Fargate: must be true).',
    'false',
  ),
} satisfies Record<string, FisParameter>;
const sources = list(
  'Comma-separated IPv4 addresses, CIDR blocks, domain names, DYNAMODB or S3 the fault applies to (default: all).',
  false,
);

/** The parameters every `aws:eks:pod-*` action takes (the FIS pod it starts). */
const eksPod = {
  kubernetesServiceAccount: text('Kubernetes service account the FIS pod runs as.'),
  fisPodContainerImage: text('Container image of the FIS pod (default: the FIS-provided image).', false),
  maxErrorsPercent: percent('Percentage (0–100) of targets that may fail before the action fails.', 0, '0'),
  fisPodLabels: text('Comma-separated key=value labels of the FIS pod.', false),
  fisPodAnnotations: text('Comma-separated key=value annotations of the FIS pod.', false),
  fisPodSecurityPolicy: text('Pod security standard of the FIS pod.', false, [
    'privileged',
    'baseline',
    'restricted',
  ]),
} satisfies Record<string, FisParameter>;
const eksPodDuration = { duration: duration(), ...eksPod } satisfies Record<string, FisParameter>;

type Entry = Omit<FisActionSpec, 'actionId'>;

const entries: Record<string, Entry> = {
  // --- Fault injection (aws:fis) -------------------------------------------------------------
  'aws:fis:inject-api-internal-error': {
    description: 'Injects internal errors (HTTP 500) into requests made by the target IAM role.',
    resourceType: 'aws:iam:role',
    targetKey: 'Roles',
    parameters: injectApi,
    family: 'aws-api',
  },
  'aws:fis:inject-api-throttle-error': {
    description: 'Injects throttling errors (HTTP 400) into requests made by the target IAM role.',
    resourceType: 'aws:iam:role',
    targetKey: 'Roles',
    parameters: injectApi,
    family: 'aws-api',
  },
  'aws:fis:inject-api-unavailable-error': {
    description: 'Injects unavailable errors (HTTP 503) into requests made by the target IAM role.',
    resourceType: 'aws:iam:role',
    targetKey: 'Roles',
    parameters: injectApi,
    family: 'aws-api',
  },
  'aws:fis:wait': {
    description: 'Runs the AWS FIS wait action.',
    parameters: { duration: duration(MINUTE, 12 * HOUR, 'Duration from one minute to 12 hours (ISO 8601).') },
    family: 'wait',
  },
  // --- Recovery (aws:arc) --------------------------------------------------------------------
  'aws:arc:start-zonal-autoshift': {
    description:
      'Shifts traffic of the supported managed resources away from an Availability Zone (ARC zonal autoshift).',
    resourceType: 'aws:arc:zonal-shift-managed-resource',
    targetKey: 'ManagedResources',
    parameters: {
      availabilityZoneIdentifier: text('Availability Zone name or id (e.g. use1-az1) to shift away from.'),
      duration: duration(MINUTE, 12 * HOUR),
      managedResourceTypes: list('Comma-separated managed resource types.', false, [
        'ASG',
        'ALB',
        'NLB',
        'EKS',
      ]),
      zonalAutoshiftStatus: text(
        'Only resources with this autoshift status.',
        false,
        ['ENABLED', 'DISABLED', 'ANY'],
        'ENABLED',
      ),
    },
    family: 'traffic-shift',
  },
  // --- CloudWatch ----------------------------------------------------------------------------
  'aws:cloudwatch:assert-alarm-state': {
    description: 'Verifies that the alarms are in one of the given states.',
    parameters: {
      alarmArns: list('Up to five alarm ARNs, comma-separated.'),
      alarmStates: list('Alarm states, comma-separated.', true, ['OK', 'ALARM', 'INSUFFICIENT_DATA']),
    },
    family: 'assert-alarms',
  },
  // --- Direct Connect ------------------------------------------------------------------------
  'aws:directconnect:virtual-interface-disconnect': {
    description:
      'Disconnects the target Direct Connect virtual interfaces (BGP sessions down) for the duration.',
    resourceType: 'aws:directconnect:virtual-interface',
    targetKey: 'DXVirtualInterfaces',
    parameters: {
      duration: duration(10 * MINUTE, 12 * HOUR, 'Duration from 10 minutes to 12 hours (ISO 8601).'),
    },
    family: 'network/disrupt',
  },
  // --- DynamoDB ------------------------------------------------------------------------------
  'aws:dynamodb:global-table-pause-replication': {
    description: 'Pauses replication of the target global tables to and from the other Regions.',
    resourceType: 'aws:dynamodb:global-table',
    targetKey: 'Tables',
    parameters: { duration: duration(MINUTE, 12 * HOUR) },
    family: 'replication-pause',
  },
  // --- Aurora DSQL --------------------------------------------------------------------------
  'aws:dsql:cluster-connection-failure': {
    description: 'Makes a share of connections to the target Aurora DSQL clusters fail.',
    resourceType: 'aws:dsql:cluster',
    targetKey: 'Clusters',
    parameters: {
      duration: duration(MINUTE, 12 * HOUR),
      percentage: percent('Percentage (1–100) of calls that fail.', 1),
    },
    family: 'aws-api',
  },
  // --- EBS -----------------------------------------------------------------------------------
  'aws:ebs:pause-volume-io': {
    description: 'Pauses I/O on the target EBS volumes (they must be attached to Nitro instances).',
    resourceType: 'aws:ec2:ebs-volume',
    targetKey: 'Volumes',
    parameters: { duration: duration(1_000, 12 * HOUR, 'Duration from one second to 12 hours (ISO 8601).') },
    family: 'storage',
  },
  'aws:ebs:volume-io-latency': {
    description: 'Adds latency to a share of the read and/or write I/O of the target EBS volumes.',
    resourceType: 'aws:ec2:ebs-volume',
    targetKey: 'Volumes',
    parameters: {
      duration: duration(1_000, 12 * HOUR),
      readIOPercentage: {
        kind: 'number',
        required: false,
        min: 0.1,
        max: 100,
        default: '100',
        description: 'Share of read I/O delayed (0.1–100).',
      },
      readIOLatencyMilliseconds: integer(
        'Read latency added (1 ms on io2, else 10 ms, to 60000 ms).',
        1,
        60_000,
        '100',
      ),
      writeIOPercentage: {
        kind: 'number',
        required: false,
        min: 0.1,
        max: 100,
        default: '100',
        description: 'Share of write I/O delayed (0.1–100).',
      },
      writeIOLatencyMilliseconds: integer(
        'Write latency added (1 ms on io2, else 10 ms, to 60000 ms).',
        1,
        60_000,
        '100',
      ),
    },
    family: 'storage',
  },
  // --- EC2 -----------------------------------------------------------------------------------
  'aws:ec2:api-insufficient-instance-capacity-error': {
    description: 'Answers EC2 launch requests of the target IAM roles with InsufficientInstanceCapacity.',
    resourceType: 'aws:iam:role',
    targetKey: 'Roles',
    parameters: {
      availabilityZoneIdentifiers: list('Comma-separated Availability Zone names or ids.'),
      duration: duration(),
      percentage: percent('Percentage (1–100) of calls that fail.', 1),
    },
    family: 'aws-api',
  },
  'aws:ec2:asg-insufficient-instance-capacity-error': {
    description: 'Answers launches of the target Auto Scaling groups with InsufficientInstanceCapacity.',
    resourceType: 'aws:ec2:autoscaling-group',
    targetKey: 'AutoScalingGroups',
    parameters: {
      availabilityZoneIdentifiers: list('Comma-separated Availability Zone names or ids.'),
      duration: duration(),
      percentage: percent('Percentage (1–100) of launches that fail.', 1, '100'),
    },
    family: 'aws-api',
  },
  'aws:ec2:reboot-instances': {
    description: 'Runs EC2 RebootInstances on the target instances.',
    resourceType: 'aws:ec2:instance',
    targetKey: 'Instances',
    parameters: {},
    family: 'process/reboot',
  },
  'aws:ec2:send-spot-instance-interruptions': {
    description: 'Sends a Spot interruption notice to the target Spot Instances, then interrupts them.',
    resourceType: 'aws:ec2:spot-instance',
    targetKey: 'SpotInstances',
    parameters: {
      durationBeforeInterruption: duration(
        2 * MINUTE,
        15 * MINUTE,
        'Time between the notice and the interruption (PT2M–PT15M).',
      ),
    },
    family: 'process/terminate',
  },
  'aws:ec2:stop-instances': {
    description: 'Runs EC2 StopInstances on the target instances, and optionally starts them again.',
    resourceType: 'aws:ec2:instance',
    targetKey: 'Instances',
    parameters: {
      startInstancesAfterDuration: optional(
        duration(MINUTE, 12 * HOUR, 'Time before the instances are started again (PT1M–PT12H).'),
      ),
      completeIfInstancesTerminated: bool(
        'Complete (rather than fail) when the instances were terminated meanwhile.',
        'false',
      ),
    },
    family: 'process/stop',
    localMapping: { downFor: 'startInstancesAfterDuration' },
  },
  'aws:ec2:terminate-instances': {
    description: 'Runs EC2 TerminateInstances on the target instances.',
    resourceType: 'aws:ec2:instance',
    targetKey: 'Instances',
    parameters: {},
    family: 'process/terminate',
  },
  // --- ECS -----------------------------------------------------------------------------------
  'aws:ecs:drain-container-instances': {
    description: 'Drains a percentage of the container instances of the target clusters.',
    resourceType: 'aws:ecs:cluster',
    targetKey: 'Clusters',
    parameters: {
      drainagePercentage: percent('Percentage (1–100) of container instances to drain.', 1),
      duration: duration(),
    },
    family: 'capacity',
  },
  'aws:ecs:stop-task': {
    description: 'Runs ECS StopTask on the target tasks.',
    resourceType: 'aws:ecs:task',
    targetKey: 'Tasks',
    parameters: {},
    family: 'process/stop',
    // DESIGN.md: stop-task is a process kill (SIGKILL), the task replaced at once.
    localMapping: { op: 'kill' },
  },
  'aws:ecs:task-cpu-stress': {
    description: 'Runs CPU stress on the target tasks.',
    resourceType: 'aws:ecs:task',
    targetKey: 'Tasks',
    parameters: {
      duration: duration(),
      percent: percent('Target CPU load (0–100).', 0, '100'),
      workers: integer('Stressors (0 = one per vCPU).', 0, undefined, '0'),
      ...ecsTask,
    },
    family: 'stress',
  },
  'aws:ecs:task-io-stress': {
    description: 'Runs I/O stress on the target tasks.',
    resourceType: 'aws:ecs:task',
    targetKey: 'Tasks',
    parameters: {
      duration: duration(),
      percent: percent('Share (1–100) of free file-system space to write.', 1, '80'),
      workers: integer('Workers (mixed read/write stressors).', 1, undefined, '1'),
      ...ecsTask,
    },
    family: 'stress',
  },
  'aws:ecs:task-kill-process': {
    description: 'Kills the named process in the target tasks (pkill).',
    resourceType: 'aws:ecs:task',
    targetKey: 'Tasks',
    parameters: {
      processName: text('Name of the process to kill.'),
      signal: text('Signal sent.', false, ['SIGTERM', 'SIGKILL'], 'SIGTERM'),
      ...ecsTask,
    },
    family: 'process/kill',
    localMapping: { signal: 'signal' },
  },
  'aws:ecs:task-network-blackhole-port': {
    description: 'Drops inbound or outbound traffic of a protocol and port of the target tasks.',
    resourceType: 'aws:ecs:task',
    targetKey: 'Tasks',
    parameters: {
      duration: duration(),
      port: integer('Port number (0–65535).', 0, 65_535),
      protocol: text('Protocol.', false, ['tcp', 'udp'], 'tcp'),
      trafficType: text('Direction.', true, ['ingress', 'egress']),
      ...ecsNetwork,
    },
    family: 'network/blackhole',
  },
  'aws:ecs:task-network-latency': {
    description: 'Adds latency and jitter to the network interface of the target tasks (tc).',
    resourceType: 'aws:ecs:task',
    targetKey: 'Tasks',
    parameters: {
      duration: duration(),
      delayMilliseconds: integer('Delay in milliseconds.', 0, undefined, '200'),
      jitterMilliseconds: integer('Jitter in milliseconds.', 0, undefined, '10'),
      flowsPercent: percent('Share (1–100) of network flows affected.', 1, '100'),
      sources,
      ...ecsNetwork,
    },
    family: 'network/latency',
    localMapping: { delayMs: 'delayMilliseconds', jitterMs: 'jitterMilliseconds', percent: ['flowsPercent'] },
  },
  'aws:ecs:task-network-packet-loss': {
    description: 'Drops a share of the packets of the network interface of the target tasks (tc).',
    resourceType: 'aws:ecs:task',
    targetKey: 'Tasks',
    parameters: {
      duration: duration(),
      lossPercent: percent('Packet loss (0–100).', 0, '7'),
      flowsPercent: percent('Share (1–100) of network flows affected.', 1, '100'),
      sources,
      ...ecsNetwork,
    },
    family: 'network/packet-loss',
    localMapping: { percent: ['lossPercent', 'flowsPercent'] },
  },
  // --- EKS -----------------------------------------------------------------------------------
  'aws:eks:inject-kubernetes-custom-resource': {
    description: 'Runs a ChaosMesh or Litmus experiment (a custom resource) on the target cluster.',
    resourceType: 'aws:eks:cluster',
    targetKey: 'Cluster',
    parameters: {
      kubernetesApiVersion: text('API version of the custom resource.', true, [
        'chaos-mesh.org/v1alpha1',
        'litmuschaos.io/v1alpha1',
      ]),
      kubernetesKind: text('Kind of the custom resource (e.g. PodChaos).'),
      kubernetesNamespace: text('Namespace the custom resource is created in.'),
      kubernetesSpec: json('Spec of the custom resource (JSON).', true),
      maxDuration: duration(MINUTE, 12 * HOUR, 'Longest the experiment may run (PT1M–PT12H).'),
    },
    family: 'kubernetes',
  },
  'aws:eks:pod-cpu-stress': {
    description: 'Runs CPU stress on the target pods.',
    resourceType: 'aws:eks:pod',
    targetKey: 'Pods',
    parameters: {
      ...eksPodDuration,
      percent: percent('Target CPU load (0–100).', 0, '100'),
      workers: integer('Stressors (0 = one per CPU).', 0, undefined, '0'),
    },
    family: 'stress',
  },
  'aws:eks:pod-delete': {
    description: 'Deletes the target pods.',
    resourceType: 'aws:eks:pod',
    targetKey: 'Pods',
    parameters: {
      ...eksPod,
      gracePeriodSeconds: optional(integer('Seconds the pod gets to terminate gracefully.', 0, undefined)),
    },
    family: 'process/stop',
  },
  'aws:eks:pod-io-stress': {
    description: 'Runs I/O stress on the target pods.',
    resourceType: 'aws:eks:pod',
    targetKey: 'Pods',
    parameters: {
      ...eksPodDuration,
      percent: percent('Share (1–100) of free file-system space to write.', 1, '80'),
      workers: integer('Workers (mixed read/write stressors).', 1, undefined, '1'),
    },
    family: 'stress',
  },
  'aws:eks:pod-memory-stress': {
    description: 'Runs memory stress on the target pods.',
    resourceType: 'aws:eks:pod',
    targetKey: 'Pods',
    parameters: {
      ...eksPodDuration,
      percent: percent('Share (1–100) of virtual memory to use.', 1, '80'),
      workers: integer('Memory stressors.', 1, undefined, '1'),
    },
    family: 'stress',
  },
  'aws:eks:pod-network-blackhole-port': {
    description: 'Drops inbound or outbound traffic of a protocol and port of the target pods.',
    resourceType: 'aws:eks:pod',
    targetKey: 'Pods',
    parameters: {
      ...eksPodDuration,
      port: integer('Port number (0–65535).', 0, 65_535),
      protocol: text('Protocol.', true, ['tcp', 'udp']),
      trafficType: text('Direction.', true, ['ingress', 'egress']),
    },
    family: 'network/blackhole',
  },
  'aws:eks:pod-network-latency': {
    description: 'Adds latency and jitter to the network interface of the target pods (tc).',
    resourceType: 'aws:eks:pod',
    targetKey: 'Pods',
    parameters: {
      ...eksPodDuration,
      interface: text(
        'Network interfaces, comma-separated (ALL, DEFAULT: the primary one).',
        false,
        undefined,
        'DEFAULT',
      ),
      delayMilliseconds: integer('Delay in milliseconds.', 0, undefined, '200'),
      jitterMilliseconds: integer('Jitter in milliseconds.', 0, undefined, '10'),
      flowsPercent: percent('Share (1–100) of network flows affected.', 1, '100'),
      sources,
    },
    family: 'network/latency',
    localMapping: { delayMs: 'delayMilliseconds', jitterMs: 'jitterMilliseconds', percent: ['flowsPercent'] },
  },
  'aws:eks:pod-network-packet-loss': {
    description: 'Drops a share of the packets of the network interface of the target pods (tc).',
    resourceType: 'aws:eks:pod',
    targetKey: 'Pods',
    parameters: {
      ...eksPodDuration,
      interface: text(
        'Network interfaces, comma-separated (ALL, DEFAULT: the primary one).',
        false,
        undefined,
        'DEFAULT',
      ),
      lossPercent: percent('Packet loss (0–100).', 0, '7'),
      flowsPercent: percent('Share (1–100) of network flows affected.', 1, '100'),
      sources,
    },
    family: 'network/packet-loss',
    localMapping: { percent: ['lossPercent', 'flowsPercent'] },
  },
  'aws:eks:terminate-nodegroup-instances': {
    description: 'Runs EC2 TerminateInstances on a percentage of the nodes of the target node groups.',
    resourceType: 'aws:eks:nodegroup',
    targetKey: 'Nodegroups',
    parameters: {
      instanceTerminationPercentage: percent('Percentage (1–100) of the nodes to terminate.', 1),
    },
    family: 'process/terminate',
  },
  // --- ElastiCache ---------------------------------------------------------------------------
  'aws:elasticache:replicationgroup-interrupt-az-power': {
    description: 'Interrupts power to the nodes of the target replication groups in an Availability Zone.',
    resourceType: 'aws:elasticache:replicationgroup',
    targetKey: 'ReplicationGroups',
    parameters: { duration: duration(MINUTE, 12 * HOUR) },
    family: 'process/stop',
    localMapping: { downFor: 'duration' },
  },
  'aws:elasticache:interrupt-cluster-az-power': {
    description: 'Former id of replicationgroup-interrupt-az-power (Redis replication groups).',
    resourceType: 'aws:elasticache:redis-replicationgroup',
    targetKey: 'ReplicationGroups',
    parameters: { duration: duration(MINUTE, 12 * HOUR) },
    family: 'process/stop',
    localMapping: { downFor: 'duration' },
    replacedBy: 'aws:elasticache:replicationgroup-interrupt-az-power',
  },
  // --- Kinesis Data Streams ------------------------------------------------------------------
  'aws:kinesis:stream-provisioned-throughput-exception': {
    description:
      'Answers GetRecords, GetShardIterator, PutRecord(s) on the target streams with ProvisionedThroughputExceededException.',
    resourceType: 'aws:kinesis:stream',
    targetKey: 'KinesisStreams',
    parameters: {
      duration: duration(MINUTE, 12 * HOUR),
      percentage: percent('Percentage (1–100) of calls that fail.', 1),
    },
    family: 'aws-api',
  },
  'aws:kinesis:stream-expired-iterator-exception': {
    description: 'Answers GetRecords on the target streams with ExpiredIteratorException.',
    resourceType: 'aws:kinesis:stream',
    targetKey: 'KinesisStreams',
    parameters: {
      duration: duration(MINUTE, 12 * HOUR),
      percentage: percent('Percentage (1–100) of calls that fail.', 1),
    },
    family: 'aws-api',
  },
  // --- Lambda --------------------------------------------------------------------------------
  'aws:lambda:invocation-add-delay': {
    description: 'Delays the start of function invocations.',
    resourceType: 'aws:lambda:function',
    targetKey: 'Functions',
    parameters: {
      duration: duration(MINUTE, 12 * HOUR),
      invocationPercentage,
      startupDelayMilliseconds: integer(
        'Milliseconds between invocation and execution of the function code.',
        0,
        900_000,
        '1000',
      ),
    },
    family: 'lambda-invocation',
    localMapping: {
      fault: 'latency',
      delayMs: 'startupDelayMilliseconds',
      percent: ['invocationPercentage'],
    },
  },
  'aws:lambda:invocation-error': {
    description: 'Marks function invocations as failed.',
    resourceType: 'aws:lambda:function',
    targetKey: 'Functions',
    parameters: {
      duration: duration(MINUTE, 12 * HOUR),
      invocationPercentage,
      preventExecution: bool('true: return the error without running the function code.'),
    },
    family: 'lambda-invocation',
    localMapping: { fault: 'error', percent: ['invocationPercentage'] },
  },
  'aws:lambda:invocation-http-integration-response': {
    description:
      'Replaces the response with an HTTP status and content type (ALB, API Gateway, VPC Lattice).',
    resourceType: 'aws:lambda:function',
    targetKey: 'Functions',
    parameters: {
      contentTypeHeader: text('Content-Type header to return.'),
      duration: duration(MINUTE, 12 * HOUR),
      invocationPercentage,
      preventExecution: bool('true: return the response without running the function code.'),
      statusCode: integer('HTTP status code (000–999) to return.', 0, 999),
    },
    family: 'lambda-invocation',
    localMapping: { fault: 'error', status: 'statusCode', percent: ['invocationPercentage'] },
  },
  // --- MemoryDB ------------------------------------------------------------------------------
  'aws:memorydb:multi-region-cluster-pause-replication': {
    description:
      "Pauses replication between this Region's cluster and the other Regions of the target multi-Region clusters.",
    resourceType: 'aws:memorydb:multi-region-cluster',
    targetKey: 'MultiRegionClusters',
    parameters: { duration: duration(MINUTE, 12 * HOUR) },
    family: 'replication-pause',
  },
  // --- Network -------------------------------------------------------------------------------
  'aws:network:disrupt-connectivity': {
    description: 'Denies traffic to the target subnets through a cloned network ACL.',
    resourceType: 'aws:ec2:subnet',
    targetKey: 'Subnets',
    parameters: {
      duration: duration(MINUTE, 12 * HOUR, 'Duration from one minute to 12 hours (ISO 8601).'),
      scope: text(
        'The type of traffic to deny.',
        false,
        ['all', 'availability-zone', 'dynamodb', 'prefix-list', 's3', 's3express', 'vpc'],
        'all',
      ),
      prefixListIdentifier: {
        ...text('With scope prefix-list: name, id or ARN of the customer managed prefix list.', false),
        requiredWhen: { parameter: 'scope', value: 'prefix-list' },
      },
    },
    family: 'network/disrupt',
    localMapping: { scope: 'scope' },
  },
  'aws:network:route-table-disrupt-cross-region-connectivity': {
    description: 'Blocks traffic of the target subnets to the given Region through their route tables.',
    resourceType: 'aws:ec2:subnet',
    targetKey: 'Subnets',
    parameters: {
      duration: duration(MINUTE, 12 * HOUR),
      region: region('The Region to isolate from (e.g. eu-central-1).'),
    },
    family: 'network/disrupt',
    // Only traffic to one Region is cut: a narrower scope, as disrupt-connectivity's (reset).
    localMapping: { fault: 'reset' },
  },
  'aws:network:transit-gateway-disrupt-cross-region-connectivity': {
    description: 'Blocks transit gateway peering traffic of the target transit gateways to the given Region.',
    resourceType: 'aws:ec2:transit-gateway',
    targetKey: 'TransitGateways',
    parameters: {
      duration: duration(MINUTE, 12 * HOUR),
      region: region('The Region to isolate from.'),
    },
    family: 'network/disrupt',
    localMapping: { fault: 'reset' },
  },
  'aws:network:disrupt-vpc-endpoint': {
    description:
      'Blocks the traffic of the target interface VPC endpoints (an empty managed security group).',
    resourceType: 'aws:ec2:vpc-endpoint',
    targetKey: 'VPCEndpoints',
    parameters: { duration: duration(MINUTE, 12 * HOUR) },
    family: 'network/blackhole',
  },
  // --- RDS / Aurora --------------------------------------------------------------------------
  'aws:rds:failover-db-cluster': {
    description: 'Runs RDS FailoverDBCluster on the target Aurora DB clusters.',
    resourceType: 'aws:rds:cluster',
    targetKey: 'Clusters',
    parameters: {},
    family: 'process/failover',
  },
  'aws:rds:reboot-db-instances': {
    description: 'Runs RDS RebootDBInstance on the target DB instances.',
    resourceType: 'aws:rds:db',
    targetKey: 'DBInstances',
    parameters: { forceFailover: bool('Fail over during the reboot (Multi-AZ).', 'false') },
    family: 'process/reboot',
  },
  // --- S3 ------------------------------------------------------------------------------------
  'aws:s3:bucket-pause-replication': {
    description: 'Pauses replication from the target source buckets to destination buckets in a Region.',
    resourceType: 'aws:s3:bucket',
    targetKey: 'Buckets',
    parameters: {
      duration: duration(MINUTE, 12 * HOUR),
      region: region('Region of the destination buckets.'),
      destinationBuckets: list(
        'Comma-separated destination bucket names (default: all in the Region).',
        false,
      ),
      prefixes: list('Comma-separated key prefixes of the replication rules to pause (default: all).', false),
    },
    family: 'replication-pause',
  },
  // --- Systems Manager -----------------------------------------------------------------------
  'aws:ssm:send-command': {
    description: 'Runs an SSM command document (e.g. AWSFIS-Run-CPU-Stress) on the target instances.',
    resourceType: 'aws:ec2:instance',
    targetKey: 'Instances',
    parameters: {
      documentArn: text('ARN of the SSM document.'),
      documentVersion: text('Document version (default: the default version).', false),
      documentParameters: json('Document parameters, as a JSON object in a string.'),
      duration: duration(MINUTE, 12 * HOUR),
    },
    family: 'command',
    localMapping: { documents: fisSsmDocuments },
  },
  'aws:ssm:start-automation-execution': {
    description: 'Starts an SSM Automation runbook and waits for it (up to maxDuration).',
    parameters: {
      documentArn: text('ARN of the Automation document.'),
      documentVersion: text('Document version (default: the default version).', false),
      documentParameters: json('Document parameters, as a JSON object in a string.'),
      maxDuration: duration(MINUTE, 12 * HOUR, 'Longest the automation may run (PT1M–PT12H).'),
    },
    family: 'command',
  },
};

/** The catalog, keyed by action id. */
export const FIS_ACTION_TABLE: Record<string, FisActionSpec> = Object.fromEntries(
  Object.entries(entries).map(([actionId, entry]) => [actionId, { actionId, ...entry }]),
);

/**
 * FIS scenarios (the scenario library) that are templates of catalog actions, with the actions
 * they are built from. They are not runnable as they are: the console fills in targets and tags.
 */
export const FIS_SCENARIOS: readonly FisScenario[] = [
  {
    name: 'AZ Availability: Power Interruption',
    url: 'https://docs.aws.amazon.com/fis/latest/userguide/az-availability-scenario.html',
    actions: [
      'aws:ec2:stop-instances',
      'aws:ec2:api-insufficient-instance-capacity-error',
      'aws:ec2:asg-insufficient-instance-capacity-error',
      'aws:network:disrupt-connectivity',
      'aws:rds:failover-db-cluster',
      'aws:elasticache:replicationgroup-interrupt-az-power',
      'aws:ebs:pause-volume-io',
      'aws:arc:start-zonal-autoshift',
    ],
  },
  {
    name: 'Cross-Region: Connectivity',
    url: 'https://docs.aws.amazon.com/fis/latest/userguide/cross-region-scenario.html',
    actions: [
      'aws:network:route-table-disrupt-cross-region-connectivity',
      'aws:network:transit-gateway-disrupt-cross-region-connectivity',
      'aws:s3:bucket-pause-replication',
      'aws:dynamodb:global-table-pause-replication',
    ],
  },
  {
    name: 'EBS: Sustained Latency',
    url: 'https://docs.aws.amazon.com/ebs/latest/userguide/ebs-fis-latency-injection.html',
    actions: ['aws:ebs:volume-io-latency'],
  },
];
