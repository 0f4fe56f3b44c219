import { type ArnComponents, ArnFormat } from 'aws-cdk-lib';
import type { Experiment, ExperimentTarget } from '../core/schema.ts';

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
  /** Bucket FIS writes Lambda fault configurations to (needed by aws:lambda:invocation-* actions). */
  lambdaConfigObjectsArn?: string;
}

/** Raised when an experiment uses an action with no known least-privilege policy. */
export class UnsupportedFisActionError extends Error {
  override readonly name = 'UnsupportedFisActionError';
}

const LAMBDA_ACTIONS = new Set([
  'aws:lambda:invocation-add-delay',
  'aws:lambda:invocation-error',
  'aws:lambda:invocation-http-integration-response',
]);

/** Actions whose permissions this module knows; others need an explicit `roleArn` on the experiment. */
export const SUPPORTED_FIS_ACTIONS = [...LAMBDA_ACTIONS, 'aws:ecs:stop-task', 'aws:fis:wait'];

export function usesLambdaFaults(experiment: Experiment): boolean {
  return Object.values(experiment.actions).some((a) => LAMBDA_ACTIONS.has(a.actionId));
}

/**
 * The statements the FIS role of one experiment template needs, and nothing else: per action, only
 * its targets' resources (from the AWS FIS action reference and the AWSFaultInjectionSimulator*
 * managed policies, narrowed), plus delivery of the experiment log to CloudWatch Logs.
 */
export function buildFisPermissions(
  experiment: Experiment,
  ctx: FisPermissionContext,
): PermissionStatement[] {
  const statements: PermissionStatement[] = [];
  let tagLookup = false;
  const add = (s: PermissionStatement) => {
    if (!statements.some((x) => x.sid === s.sid)) statements.push(s);
  };

  for (const [actionName, action] of Object.entries(experiment.actions)) {
    const targets = Object.values(action.targets ?? {}).map((targetName) => {
      const target = experiment.targets[targetName];
      if (!target) throw new Error(`action ${actionName} targets "${targetName}", which is not defined`);
      return target;
    });
    if (targets.some((t) => t.resourceTags !== undefined || t.resourceArns === undefined)) tagLookup = true;

    if (LAMBDA_ACTIONS.has(action.actionId)) {
      if (!ctx.lambdaConfigObjectsArn)
        throw new Error(`action ${actionName}: no FIS Lambda configuration bucket`);
      add({
        sid: 'InspectTargetFunctions',
        actions: ['lambda:GetFunction'],
        resources: unique(targets.flatMap((t) => lambdaFunctionArns(t, ctx))),
      });
      add({
        sid: 'WriteFaultConfiguration',
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [ctx.lambdaConfigObjectsArn],
      });
    } else if (action.actionId === 'aws:ecs:stop-task') {
      add({
        sid: 'StopTargetTasks',
        actions: ['ecs:DescribeTasks', 'ecs:StopTask'],
        resources: unique(targets.flatMap((t) => ecsTaskArns(t, ctx))),
      });
      add({
        sid: 'ListTasks',
        // ecs:ListTasks is authorised on container instances, not tasks: it takes no task ARN.
        actions: ['ecs:ListTasks'],
        resources: ['*'],
      });
    } else if (action.actionId !== 'aws:fis:wait') {
      throw new UnsupportedFisActionError(
        `FIS action ${action.actionId} (action ${actionName}) has no least-privilege policy in infra/; ` +
          `supported: ${SUPPORTED_FIS_ACTIONS.join(', ')}. Give the experiment a roleArn instead.`,
      );
    }
  }

  if (tagLookup) {
    // Target resolution by tags calls the Resource Groups Tagging API, which has no resource-level permissions.
    add({ sid: 'ResolveTargetsByTags', actions: ['tag:GetResources'], resources: ['*'] });
  }
  // Vended-log delivery to the experiment's log group (CloudWatch Logs "logs sent to CloudWatch Logs").
  add({ sid: 'CreateLogDelivery', actions: ['logs:CreateLogDelivery'], resources: ['*'] });
  add({
    sid: 'LogGroupResourcePolicy',
    actions: ['logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'],
    resources: [ctx.formatArn({ service: 'logs', resource: '*' })],
  });
  return statements;
}

function lambdaFunctionArns(target: ExperimentTarget, ctx: FisPermissionContext): string[] {
  if (target.resourceArns?.length) return target.resourceArns;
  return [
    ctx.formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: '*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
  ];
}

function ecsTaskArns(target: ExperimentTarget, ctx: FisPermissionContext): string[] {
  if (target.resourceArns?.length) return target.resourceArns;
  const cluster = target.parameters?.cluster ?? '*';
  return [
    ctx.formatArn({
      service: 'ecs',
      resource: 'task',
      resourceName: `${cluster}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    }),
  ];
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
