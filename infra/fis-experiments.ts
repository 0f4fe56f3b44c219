import {
  ArnFormat,
  aws_fis as fis,
  aws_iam as iam,
  aws_kms as kms,
  aws_logs as logs,
  RemovalPolicy,
  Stack,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { Drill, Experiment } from '../core/schema.ts';
import type { AlarmFactory, RegisteredAlarm } from './alarm-factory.ts';
import type { FisLambdaConfig } from './fis-lambda-target.ts';
import { buildFisPermissions, usesLambdaFaults } from './fis-permissions.ts';

export interface FisExperimentsProps {
  experiments: Record<string, Experiment>;
  drills: Record<string, Drill>;
  alarms: AlarmFactory;
  /** Suite canary name → name of its SuccessPercent alarm (drills detect outages by canary). */
  canaryAlarmName(canary: string): string | undefined;
  /** Needed when an experiment uses aws:lambda:invocation-* actions. */
  lambdaConfig?: FisLambdaConfig;
  logRetention: logs.RetentionDays;
  /** Log group name, e.g. `/opsproof/opsproof-demo/staging/fis`. */
  logGroupName: string;
}

/** Every suite experiment as an FIS experiment template with its own least-privilege role. */
export class FisExperiments extends Construct {
  readonly logGroup: logs.LogGroup;
  readonly templates = new Map<string, fis.CfnExperimentTemplate>();
  readonly roles = new Map<string, iam.Role>();

  constructor(scope: Construct, id: string, props: FisExperimentsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // Experiment logs name the targets and their faults: encrypted with a key of their own, which
    // CloudWatch Logs may use for this log group only.
    const logKey = new kms.Key(this, 'ExperimentLogsKey', {
      description: `encrypts the FIS experiment log group ${props.logGroupName}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    logKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnEquals: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: props.logGroupName,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    this.logGroup = new logs.LogGroup(this, 'ExperimentLogs', {
      logGroupName: props.logGroupName,
      encryptionKey: logKey,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    for (const [name, experiment] of Object.entries(props.experiments)) {
      let roleArn = experiment.roleArn;
      if (roleArn === undefined) {
        if (usesLambdaFaults(experiment) && !props.lambdaConfig) {
          throw new Error(
            `experiment ${name} uses Lambda faults but the stack has no FIS configuration bucket`,
          );
        }
        const role = new iam.Role(this, `Role-${name}`, {
          description: `FIS experiment ${name}: only the actions and resources this template uses`,
          assumedBy: new iam.ServicePrincipal('fis.amazonaws.com', {
            // Confused-deputy protection: only FIS experiments of this account assume the role.
            conditions: {
              StringEquals: { 'aws:SourceAccount': stack.account },
              ArnLike: {
                'aws:SourceArn': stack.formatArn({
                  service: 'fis',
                  resource: 'experiment',
                  resourceName: '*',
                }),
              },
            },
          }),
        });
        const statements = buildFisPermissions(experiment, {
          formatArn: (c) => stack.formatArn(c),
          account: stack.account,
          ...(props.lambdaConfig ? { lambdaConfigObjectsArn: props.lambdaConfig.objectsArn } : {}),
        });
        for (const s of statements) {
          role.addToPolicy(
            new iam.PolicyStatement({
              sid: s.sid,
              actions: s.actions,
              resources: s.resources,
              ...(s.conditions ? { conditions: s.conditions } : {}),
            }),
          );
        }
        this.roles.set(name, role);
        roleArn = role.roleArn;
      }

      const stopAlarms = resolveStopAlarms(name, experiment, props);
      const template = new fis.CfnExperimentTemplate(this, `Template-${name}`, {
        description: experiment.description || `opsproof experiment ${name}`,
        roleArn,
        stopConditions: stopAlarms.map((a) => ({ source: 'aws:cloudwatch:alarm', value: a.alarm.alarmArn })),
        targets: Object.fromEntries(
          Object.entries(experiment.targets).map(([key, t]) => [
            key,
            {
              resourceType: t.resourceType,
              selectionMode: t.selectionMode,
              ...(t.resourceArns ? { resourceArns: t.resourceArns } : {}),
              ...(t.resourceTags ? { resourceTags: t.resourceTags } : {}),
              ...(t.filters ? { filters: t.filters } : {}),
              ...(t.parameters ? { parameters: t.parameters } : {}),
            },
          ]),
        ),
        actions: Object.fromEntries(
          Object.entries(experiment.actions).map(([key, a]) => [
            key,
            {
              actionId: a.actionId,
              ...(a.description ? { description: a.description } : {}),
              ...(Object.keys(a.parameters).length ? { parameters: a.parameters } : {}),
              ...(a.targets ? { targets: a.targets } : {}),
              ...(a.startAfter ? { startAfter: a.startAfter } : {}),
            },
          ]),
        ),
        logConfiguration: {
          logSchemaVersion: 2,
          cloudWatchLogsConfiguration: { LogGroupArn: this.logGroup.logGroupArn },
        },
        experimentOptions: { emptyTargetResolutionMode: experiment.allowEmptyTargets ? 'skip' : 'fail' },
        tags: { Name: name, ...experiment.tags },
      });
      this.templates.set(name, template);
    }
  }
}

/**
 * Alarms an experiment is meant to trigger: its own expectations, the drills that run it (alarm and
 * detecting canary). A stop condition on one of them would abort the experiment exactly when it works.
 */
export function alarmsUnderTest(
  name: string,
  experiment: Experiment,
  drills: Record<string, Drill>,
  canaryAlarmName: (canary: string) => string | undefined,
): Set<string> {
  const names = new Set<string>();
  for (const e of experiment.expect) if ('alarm' in e) names.add(e.alarm);
  for (const drill of Object.values(drills)) {
    if (drill.experiment !== name) continue;
    if (drill.kind === 'alert') names.add(drill.alarm);
    else if (drill.detectBy && 'alarm' in drill.detectBy) names.add(drill.detectBy.alarm);
    else if (drill.detectBy && 'canary' in drill.detectBy) {
      const alarm = canaryAlarmName(drill.detectBy.canary);
      if (alarm) names.add(alarm);
    }
  }
  return names;
}

function dependsOn(alarm: RegisteredAlarm, underTest: Set<string>): boolean {
  return underTest.has(alarm.name) || alarm.members.some((m) => underTest.has(m));
}

/**
 * The experiment's `aws:cloudwatch:alarm` stop conditions resolved to deployed alarms; each must be
 * independent of the alarms under test. With none configured: the first independent one of the
 * service-down composite, the canary alarms, the critical alarms.
 */
function resolveStopAlarms(
  name: string,
  experiment: Experiment,
  props: FisExperimentsProps,
): RegisteredAlarm[] {
  const underTest = alarmsUnderTest(name, experiment, props.drills, props.canaryAlarmName);
  const configured = experiment.stopConditions.filter((s) => s.source === 'aws:cloudwatch:alarm' && s.value);
  if (configured.length > 0) {
    return configured.map((s) => {
      const alarm = props.alarms.get(s.value as string);
      if (!alarm) {
        throw new Error(
          `experiment ${name}: stop condition alarm "${s.value}" is not deployed; known: ${props.alarms
            .all()
            .map((a) => a.name)
            .join(', ')}`,
        );
      }
      if (dependsOn(alarm, underTest)) {
        throw new Error(
          `experiment ${name}: stop condition "${s.value}" is an alarm the experiment is meant to trigger (${[...underTest].join(', ')})`,
        );
      }
      return alarm;
    });
  }
  // Guardrail preference: the service-down composite, else a canary (customer-visible impact), else
  // any critical alarm — the first one independent of the alarms under test.
  const rank = (a: RegisteredAlarm) => (a.source === 'composite' ? 0 : a.source === 'canary' ? 1 : 2);
  const candidates = props.alarms
    .all()
    .filter((a) => a.source === 'composite' || a.source === 'canary' || a.severity === 'critical')
    .sort((a, b) => rank(a) - rank(b));
  const fallback = candidates.find((a) => !dependsOn(a, underTest));
  if (!fallback) {
    throw new Error(
      `experiment ${name}: no stop condition, and no critical alarm independent of the alarms under test`,
    );
  }
  return [fallback];
}
