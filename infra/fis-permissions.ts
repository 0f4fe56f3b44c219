import type { Experiment } from '../core/schema.ts';
import {
  FIS_ACTION_POLICIES,
  type FisPermissionContext,
  LAMBDA_FAULT_ACTIONS,
  type PermissionStatement,
} from './fis-action-policies.ts';

/** Raised when an experiment uses an action with no known least-privilege policy. */
export class UnsupportedFisActionError extends Error {
  override readonly name = 'UnsupportedFisActionError';
  constructor(
    readonly actionId: string,
    readonly actionName: string,
  ) {
    super(
      `FIS action ${actionId} (action ${actionName}) has no least-privilege policy in infra/ ` +
        '(infra/README.md, "FIS", lists the covered actions). Give the experiment a roleArn instead.',
    );
  }
}

/** Actions whose permissions this module knows; others need an explicit `roleArn` on the experiment. */
export const SUPPORTED_FIS_ACTIONS = Object.keys(FIS_ACTION_POLICIES).sort();

const LAMBDA_ACTIONS: ReadonlySet<string> = new Set(LAMBDA_FAULT_ACTIONS);

export function usesLambdaFaults(experiment: Experiment): boolean {
  return Object.values(experiment.actions).some((a) => LAMBDA_ACTIONS.has(a.actionId));
}

/**
 * The statements the FIS role of one experiment template needs, and nothing else: per action, only
 * its targets' resources (fis-action-policies.ts: the AWS FIS action reference and the
 * AWSFaultInjectionSimulator*Access managed policies, narrowed), plus delivery of the experiment log
 * to CloudWatch Logs. Actions sharing a statement (same Sid) share one statement with the union of
 * their resources.
 */
export function buildFisPermissions(
  experiment: Experiment,
  ctx: FisPermissionContext,
): PermissionStatement[] {
  const statements: PermissionStatement[] = [];
  let tagLookup = false;

  for (const [actionName, action] of Object.entries(experiment.actions)) {
    const targets = Object.values(action.targets ?? {}).map((targetName) => {
      const target = experiment.targets[targetName];
      if (!target) throw new Error(`action ${actionName} targets "${targetName}", which is not defined`);
      return target;
    });
    const policy = Object.hasOwn(FIS_ACTION_POLICIES, action.actionId)
      ? FIS_ACTION_POLICIES[action.actionId]
      : undefined;
    if (!policy) throw new UnsupportedFisActionError(action.actionId, actionName);
    if (targets.some((t) => t.resourceTags !== undefined || t.resourceArns === undefined)) tagLookup = true;
    for (const s of policy({ actionName, action, targets, ctx })) mergeStatement(statements, s);
  }

  if (tagLookup) {
    // Target resolution by tags calls the Resource Groups Tagging API, which has no resource-level permissions.
    mergeStatement(statements, {
      sid: 'ResolveTargetsByTags',
      actions: ['tag:GetResources'],
      resources: ['*'],
    });
  }
  // Vended-log delivery to the experiment's log group (CloudWatch Logs "logs sent to CloudWatch Logs").
  mergeStatement(statements, {
    sid: 'CreateLogDelivery',
    actions: ['logs:CreateLogDelivery'],
    resources: ['*'],
  });
  mergeStatement(statements, {
    sid: 'LogGroupResourcePolicy',
    actions: ['logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'],
    resources: [ctx.formatArn({ service: 'logs', resource: '*' })],
  });
  return statements;
}

/**
 * Adds a statement, or widens the one with the same Sid: the union of actions, resources and
 * condition values. A Sid names one purpose (fis-action-policies.ts), so the same Sid has the same
 * actions — or describes only, on `*`.
 */
function mergeStatement(statements: PermissionStatement[], s: PermissionStatement): void {
  let existing = statements.find((x) => x.sid === s.sid);
  if (!existing) {
    existing = { sid: s.sid, actions: [], resources: [] };
    statements.push(existing);
  }
  existing.actions = unique([...existing.actions, ...s.actions]);
  existing.resources = unique([...existing.resources, ...s.resources]);
  for (const [operator, keys] of Object.entries(s.conditions ?? {})) {
    existing.conditions = existing.conditions ?? {};
    const block = existing.conditions[operator] ?? {};
    existing.conditions[operator] = block;
    for (const [key, value] of Object.entries(keys)) {
      const merged = unique([...[block[key] ?? []].flat(), ...[value].flat()]);
      block[key] = merged.length === 1 ? (merged[0] as string) : merged;
    }
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
