/**
 * The FIS actions opsproof knows, with their parameters and target keys as the AWS FIS actions
 * reference documents them (docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html),
 * and what each does locally. Validation of experiments reads this table.
 */

export type ParameterKind =
  /** ISO-8601 duration, as FIS takes it (`PT1M`). */
  | 'duration'
  /** Integer percentage 1–100. */
  | 'percent'
  | 'integer'
  | 'boolean'
  | 'string'
  /** Comma-separated list. */
  | 'list';

export interface FisParameter {
  kind: ParameterKind;
  required: boolean;
  /** Inclusive range for `integer`. */
  min?: number;
  max?: number;
  /** Allowed values (`string` and `list` items). */
  values?: readonly string[];
  /** FIS's default when omitted. */
  default?: string;
  description: string;
}

/** What an action becomes on the embedded provider (DESIGN.md, "Embedded ↔ AWS"). */
export type LocalEffect =
  | 'latency'
  | 'error'
  | 'http-status'
  | 'network'
  | 'process-kill'
  | 'wait'
  | 'assert-alarms';

export interface FisActionSpec {
  actionId: string;
  description: string;
  /** The resource type its target must have; `undefined` for actions without targets. */
  resourceType?: string;
  /** The key under `targets` (e.g. `Functions`). */
  targetKey?: string;
  parameters: Record<string, FisParameter>;
  local: LocalEffect;
}

const duration = (description = 'How long the action lasts (ISO-8601, e.g. PT1M).'): FisParameter => ({
  kind: 'duration',
  required: true,
  description,
});
const invocationPercentage: FisParameter = {
  kind: 'percent',
  required: false,
  default: '100',
  description: 'Percentage (1–100) of invocations that get the fault.',
};

export const FIS_ACTIONS: Record<string, FisActionSpec> = {
  'aws:lambda:invocation-add-delay': {
    actionId: 'aws:lambda:invocation-add-delay',
    description: 'Delays the start of function invocations.',
    resourceType: 'aws:lambda:function',
    targetKey: 'Functions',
    parameters: {
      duration: duration(),
      invocationPercentage,
      startupDelayMilliseconds: {
        kind: 'integer',
        required: false,
        min: 0,
        max: 900_000,
        default: '1000',
        description: 'Milliseconds between invocation and execution of the function code.',
      },
    },
    local: 'latency',
  },
  'aws:lambda:invocation-error': {
    actionId: 'aws:lambda:invocation-error',
    description: 'Marks function invocations as failed.',
    resourceType: 'aws:lambda:function',
    targetKey: 'Functions',
    parameters: {
      duration: duration(),
      invocationPercentage,
      preventExecution: {
        kind: 'boolean',
        required: true,
        description: 'true: return the error without running the function code.',
      },
    },
    local: 'error',
  },
  'aws:lambda:invocation-http-integration-response': {
    actionId: 'aws:lambda:invocation-http-integration-response',
    description:
      'Replaces the response with an HTTP status and content type (ALB, API Gateway, VPC Lattice).',
    resourceType: 'aws:lambda:function',
    targetKey: 'Functions',
    parameters: {
      contentTypeHeader: { kind: 'string', required: true, description: 'Content-Type header to return.' },
      duration: duration(),
      invocationPercentage,
      preventExecution: {
        kind: 'boolean',
        required: true,
        description: 'true: return the response without running the function code.',
      },
      statusCode: {
        kind: 'integer',
        required: true,
        min: 0,
        max: 999,
        description: 'HTTP status code (000–999) to return.',
      },
    },
    local: 'http-status',
  },
  'aws:ecs:stop-task': {
    actionId: 'aws:ecs:stop-task',
    description: 'Runs ECS StopTask on the target tasks.',
    resourceType: 'aws:ecs:task',
    targetKey: 'Tasks',
    parameters: {},
    local: 'process-kill',
  },
  'aws:network:disrupt-connectivity': {
    actionId: 'aws:network:disrupt-connectivity',
    description: 'Denies traffic to the target subnets through a cloned network ACL.',
    resourceType: 'aws:ec2:subnet',
    targetKey: 'Subnets',
    parameters: {
      duration: duration('Duration from one minute to 12 hours (ISO-8601).'),
      scope: {
        kind: 'string',
        required: false,
        default: 'all',
        values: ['all', 'availability-zone', 'dynamodb', 'prefix-list', 's3', 's3express', 'vpc'],
        description: 'The type of traffic to deny.',
      },
      prefixListIdentifier: {
        kind: 'string',
        required: false,
        description: 'With scope prefix-list: name, id or ARN of the customer managed prefix list.',
      },
    },
    local: 'network',
  },
  'aws:fis:wait': {
    actionId: 'aws:fis:wait',
    description: 'Waits.',
    parameters: { duration: duration('Duration from one minute to 12 hours (ISO-8601).') },
    local: 'wait',
  },
  'aws:cloudwatch:assert-alarm-state': {
    actionId: 'aws:cloudwatch:assert-alarm-state',
    description: 'Verifies that the alarms are in one of the given states.',
    parameters: {
      alarmArns: { kind: 'list', required: true, description: 'Up to five alarm ARNs, comma-separated.' },
      alarmStates: {
        kind: 'list',
        required: true,
        values: ['OK', 'ALARM', 'INSUFFICIENT_DATA'],
        description: 'Alarm states, comma-separated.',
      },
    },
    local: 'assert-alarms',
  },
};

export function findFisAction(actionId: string): FisActionSpec | undefined {
  return Object.hasOwn(FIS_ACTIONS, actionId) ? FIS_ACTIONS[actionId] : undefined;
}

/** The alarm name from an alarm ARN (`arn:aws:cloudwatch:eu-west-1:123:alarm:Name` → `Name`), or the name itself. */
export function alarmNameFromArn(value: string): string {
  const match = /^arn:[^:]+:cloudwatch:[^:]*:[^:]*:alarm:(.+)$/.exec(value.trim());
  return match ? match[1]! : value.trim();
}
