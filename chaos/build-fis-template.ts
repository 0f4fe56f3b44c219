import type { CreateExperimentTemplateCommandInput } from '@aws-sdk/client-fis';
import type { Experiment } from '../core/schema.ts';

/** Tag that ties a template to its opsproof experiment, so runs update it instead of piling up copies. */
export const EXPERIMENT_TAG = 'opsproof:experiment';
export const SERVICE_TAG = 'opsproof:service';

export interface FisTemplateContext {
  service: string;
  region: string;
  accountId: string;
  /** Prefix of deployed alarm names (environments.X.aws.alarmPrefix). */
  alarmPrefix?: string;
}

/** The CloudWatch alarm ARN for a stop condition written as a name (ARNs pass through). */
function buildAlarmArn(value: string, context: FisTemplateContext): string {
  if (value.startsWith('arn:')) return value;
  return `arn:aws:cloudwatch:${context.region}:${context.accountId}:alarm:${context.alarmPrefix ?? ''}${value}`;
}

/**
 * The CreateExperimentTemplate input for an experiment: targets and actions as they are, alarm names
 * turned into ARNs (stop conditions and assert-alarm-state), `experimentOptions` (account targeting;
 * `emptyTargetResolutionMode` from it or `allowEmptyTargets`), `logConfiguration`, and tags naming the
 * experiment and service. `experimentReportConfiguration` is added to the request body by
 * run-fis-experiment.ts: the SDK we pin (3.523) predates it and drops it.
 */
export function buildFisTemplateInput(
  name: string,
  experiment: Experiment,
  context: FisTemplateContext,
): CreateExperimentTemplateCommandInput {
  const actions: NonNullable<CreateExperimentTemplateCommandInput['actions']> = {};
  for (const [actionName, action] of Object.entries(experiment.actions)) {
    const parameters = { ...action.parameters };
    if (action.actionId === 'aws:cloudwatch:assert-alarm-state' && parameters.alarmArns) {
      parameters.alarmArns = parameters.alarmArns
        .split(',')
        .map((a) => buildAlarmArn(a.trim(), context))
        .join(',');
    }
    actions[actionName] = {
      actionId: action.actionId,
      ...(action.description === undefined ? {} : { description: action.description }),
      parameters,
      ...(action.targets === undefined ? {} : { targets: action.targets }),
      ...(action.startAfter === undefined ? {} : { startAfter: action.startAfter }),
    };
  }
  const stopConditions = experiment.stopConditions.map((c) =>
    c.source === 'aws:cloudwatch:alarm' && c.value
      ? { source: c.source, value: buildAlarmArn(c.value, context) }
      : { source: 'none' },
  );
  return {
    description: (experiment.description || `opsproof experiment ${name}`).slice(0, 512),
    roleArn:
      experiment.roleArn ??
      `arn:aws:iam::${context.accountId}:role/${context.service}-fis-${name}`.slice(0, 2048),
    targets: Object.fromEntries(
      Object.entries(experiment.targets).map(([k, t]) => [
        k,
        {
          resourceType: t.resourceType,
          selectionMode: t.selectionMode,
          ...(t.resourceArns === undefined ? {} : { resourceArns: t.resourceArns }),
          ...(t.resourceTags === undefined ? {} : { resourceTags: t.resourceTags }),
          ...(t.filters === undefined
            ? {}
            : { filters: t.filters.map((f) => ({ path: f.path, values: f.values })) }),
          ...(t.parameters === undefined ? {} : { parameters: t.parameters }),
        },
      ]),
    ),
    actions,
    stopConditions: stopConditions.length > 0 ? stopConditions : [{ source: 'none' }],
    experimentOptions: {
      accountTargeting: experiment.experimentOptions?.accountTargeting ?? 'single-account',
      emptyTargetResolutionMode: allowsEmptyTargets(experiment) ? 'skip' : 'fail',
    },
    ...(experiment.logConfiguration ? { logConfiguration: experiment.logConfiguration } : {}),
    tags: { ...experiment.tags, [EXPERIMENT_TAG]: name, [SERVICE_TAG]: context.service },
  };
}

/** Targets resolving to nothing are allowed: `experimentOptions.emptyTargetResolutionMode` wins over `allowEmptyTargets`. */
export function allowsEmptyTargets(experiment: Experiment): boolean {
  const mode = experiment.experimentOptions?.emptyTargetResolutionMode;
  return mode === undefined ? experiment.allowEmptyTargets : mode === 'skip';
}
