import { CfnOutput, aws_cloudwatch as cw, aws_logs as logs, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { ResolvedEnvironment } from '../core/load-config.ts';
import type { Suite } from '../core/schema.ts';
import { splitSuiteAlarms } from '../core/suite-alarms.ts';
import { AlarmFactory } from './alarm-factory.ts';
import { buildCanaryAlarmSpec } from './alarm-specs.ts';
import { AlertRouting } from './alert-routing.ts';
import { FisExperiments } from './fis-experiments.ts';
import { FisLambdaConfig } from './fis-lambda-target.ts';
import { usesLambdaFaults } from './fis-permissions.ts';
import { MetricFactory } from './metric-factory.ts';
import { MonitoringDashboard } from './monitoring-dashboard.ts';
import { monitoringProfile, resolveTier, type Tier } from './monitoring-profile.ts';
import { applyNagSuppressions } from './nag-suppressions.ts';
import { ServiceMonitoring } from './service-monitoring.ts';
import { deployedCanaryName, type PackagedCanary, SyntheticsCanaries } from './synthetics-canaries.ts';

export interface OpsproofStackProps extends StackProps {
  suite: Suite;
  env: ResolvedEnvironment;
  /** Tier override (the optional `dev` stack reuses an environment with the dev tier). */
  tier?: Tier;
  /** Stack-level name of the environment (`staging`, `prod`, `dev`). */
  envName: string;
  canaries: PackagedCanary[];
}

/** The composite alarm raised when the service looks down. */
const SERVICE_DOWN = 'ServiceDown';

const logRetention: Record<Tier, logs.RetentionDays> = {
  dev: logs.RetentionDays.ONE_WEEK,
  staging: logs.RetentionDays.ONE_MONTH,
  prod: logs.RetentionDays.THREE_MONTHS,
};

/** Layer 4: everything opsproof deploys for one environment. */
export class OpsproofStack extends Stack {
  readonly alarmFactory: AlarmFactory;
  readonly routing: AlertRouting;
  readonly canaries: SyntheticsCanaries;
  readonly experiments: FisExperiments;
  readonly tier: Tier;

  constructor(scope: Construct, id: string, props: OpsproofStackProps) {
    super(scope, id, {
      ...props,
      env: {
        ...(props.env.region ? { region: props.env.region } : {}),
        ...(props.env.aws?.accountId ? { account: props.env.aws.accountId } : {}),
      },
      description: `opsproof: canaries, alarms, alert routing and FIS experiments of ${props.suite.service} (${props.envName})`,
    });
    const { suite, env, envName } = props;
    this.tier = props.tier ?? resolveTier(env);
    const profile = monitoringProfile(this.tier);
    const namePrefix = `${suite.service}-${envName}`;
    const alarmPrefix = env.aws?.alarmPrefix ?? `${namePrefix}-`;
    const canaryPrefix = env.aws?.canaryPrefix ?? '';
    const resources = env.aws?.resources ?? {};
    const kpis = { ...suite.kpis, ...env.kpis };
    Tags.of(this).add('opsproof:service', suite.service);
    Tags.of(this).add('opsproof:environment', envName);

    this.routing = new AlertRouting(this, 'AlertRouting', {
      namePrefix,
      ...(env.aws?.notifications ? { notifications: env.aws.notifications } : {}),
    });
    this.alarmFactory = new AlarmFactory(this, 'Alarms', {
      prefix: alarmPrefix,
      topics: this.routing.topics,
      metrics: new MetricFactory(),
    });

    // Suite alarms, deployed as written; a CanaryName dimension naming a suite canary is pointed at
    // the deployed (prefixed) canary.
    const canaryNames = new Set(props.canaries.map((c) => c.name));
    const deployedCanary = (name: string) =>
      canaryNames.has(name) ? deployedCanaryName(canaryPrefix, name) : undefined;
    const suiteAlarms = splitSuiteAlarms(suite.alarms);
    for (const def of suiteAlarms.metric) {
      const overrides: Record<string, string> = {};
      for (const d of def.Dimensions ?? []) {
        if (d.Name === 'CanaryName' && canaryNames.has(d.Value)) {
          overrides.CanaryName = deployedCanaryName(canaryPrefix, d.Value);
        }
      }
      this.alarmFactory.fromDefinition(def, overrides);
    }
    for (const def of suiteAlarms.math) this.alarmFactory.fromMathDefinition(def, deployedCanary);

    new ServiceMonitoring(this, 'Service', { resources, profile, alarms: this.alarmFactory });

    this.canaries = new SyntheticsCanaries(this, 'Canaries', {
      canaries: props.canaries,
      config: suite.canaries,
      prefix: canaryPrefix,
      envName,
      target: env.target,
      targets: namedTargetUrls(env.targets),
      environment: { name: env.name, headers: env.headers, secrets: env.secrets, region: env.region },
      ...(env.aws?.vpc ? { vpc: env.aws.vpc } : {}),
    });
    const canaryAlarmName = new Map<string, string>();
    for (const canary of props.canaries) {
      const spec = buildCanaryAlarmSpec(deployedCanaryName(canaryPrefix, canary.name), profile);
      this.alarmFactory.fromSpec(spec, 'canary');
      canaryAlarmName.set(canary.name, spec.id);
    }

    // Suite composites after every alarm they may name (suite, service and canary alarms).
    for (const def of suiteAlarms.composite) this.alarmFactory.fromCompositeDefinition(def);

    this.addServiceDown(profile.serviceDownSeverity);

    const lambdaConfig = Object.values(suite.experiments).some(usesLambdaFaults)
      ? new FisLambdaConfig(this, 'FisLambdaConfig')
      : undefined;
    this.experiments = new FisExperiments(this, 'Experiments', {
      experiments: suite.experiments,
      drills: suite.drills,
      alarms: this.alarmFactory,
      canaryAlarmName: (name) => canaryAlarmName.get(name),
      ...(lambdaConfig ? { lambdaConfig } : {}),
      logRetention: logRetention[this.tier],
      logGroupName: `/opsproof/${suite.service}/${envName}/fis`,
    });

    const apiNames = new Set(resources.apiGateways ?? []);
    const apiMetrics = [
      ...suiteAlarms.metric,
      ...suiteAlarms.math.flatMap((a) =>
        a.Metrics.flatMap((q) => (q.MetricStat ? [q.MetricStat.Metric] : [])),
      ),
    ];
    for (const metric of apiMetrics) {
      if (metric.Namespace !== 'AWS/ApiGateway') continue;
      for (const d of metric.Dimensions ?? []) if (d.Name === 'ApiName') apiNames.add(d.Value);
    }
    new MonitoringDashboard(this, 'Dashboard', {
      dashboardName: namePrefix,
      title: `${suite.service} · ${envName} (${this.tier})`,
      canaries: props.canaries.map((c) => deployedCanaryName(canaryPrefix, c.name)),
      alarms: this.alarmFactory.all(),
      kpis,
      apiNames: [...apiNames],
      lambdaFunctions: resources.lambdaFunctions ?? [],
    });

    for (const [severity, topic] of Object.entries(this.routing.topics)) {
      new CfnOutput(this, `${severity}TopicArn`, { value: topic.topicArn });
    }
    new CfnOutput(this, 'CanaryArtifactsBucket', { value: this.canaries.bucket.bucketName });
    if (lambdaConfig) new CfnOutput(this, 'FisConfigurationLocation', { value: lambdaConfig.location });

    applyNagSuppressions(this);
  }

  /**
   * Service down: every canary fails, or a critical alarm fires while a canary fails. Without
   * canaries, any critical alarm.
   */
  private addServiceDown(severity: 'critical' | 'warning' | 'info'): void {
    const all = this.alarmFactory.all();
    const canaries = all.filter((a) => a.source === 'canary');
    const critical = all.filter((a) => a.source !== 'canary' && a.severity === 'critical');
    const state = (a: { alarm: cw.IAlarm }) => cw.AlarmRule.fromAlarm(a.alarm, cw.AlarmState.ALARM);
    let rule: cw.IAlarmRule | undefined;
    if (canaries.length > 0 && critical.length > 0) {
      rule = cw.AlarmRule.anyOf(
        cw.AlarmRule.allOf(...canaries.map(state)),
        cw.AlarmRule.allOf(
          cw.AlarmRule.anyOf(...critical.map(state)),
          cw.AlarmRule.anyOf(...canaries.map(state)),
        ),
      );
    } else if (canaries.length > 0) {
      rule = cw.AlarmRule.allOf(...canaries.map(state));
    } else if (critical.length > 0) {
      rule = cw.AlarmRule.anyOf(...critical.map(state));
    }
    if (!rule) return;
    this.alarmFactory.composite(
      SERVICE_DOWN,
      rule,
      severity,
      'The service looks down: all canaries fail, or a critical alarm fires while a canary fails.',
      [...canaries, ...critical].map((a) => a.name),
    );
  }
}

/** The URLs of an environment's named targets (`environments.X.targets`); process targets have none. */
export function namedTargetUrls(targets: ResolvedEnvironment['targets']): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const [name, target] of Object.entries(targets ?? {})) {
    const url = typeof target === 'string' ? target : target.url;
    if (url !== undefined) urls[name] = url;
  }
  return urls;
}
