import { aws_cloudwatch as cw, Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { Kpis } from '../core/schema.ts';
import type { RegisteredAlarm } from './alarm-factory.ts';

export interface MonitoringDashboardProps {
  dashboardName: string;
  title: string;
  /** Deployed canary names. */
  canaries: string[];
  alarms: RegisteredAlarm[];
  kpis: Kpis;
  apiNames: string[];
  lambdaFunctions: string[];
}

const width = 24;

/** One dashboard per environment: alarm states, canaries, and the KPIs with their targets drawn in. */
export class MonitoringDashboard extends Construct {
  readonly dashboard: cw.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringDashboardProps) {
    super(scope, id);
    const period = Duration.minutes(1);
    this.dashboard = new cw.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(new cw.TextWidget({ markdown: `# ${props.title}`, width, height: 1 }));
    if (props.alarms.length > 0) {
      this.dashboard.addWidgets(
        new cw.AlarmStatusWidget({
          title: 'Alarms',
          alarms: props.alarms.map((a) => a.alarm),
          width,
          height: Math.min(6, 2 + Math.ceil(props.alarms.length / 4)),
        }),
      );
    }

    if (props.canaries.length > 0) {
      const canaryMetric = (name: string, metricName: string, statistic: string) =>
        new cw.Metric({
          namespace: 'CloudWatchSynthetics',
          metricName,
          dimensionsMap: { CanaryName: name },
          statistic,
          period: Duration.minutes(5),
          label: name,
        });
      this.dashboard.addWidgets(
        new cw.GraphWidget({
          title: 'Canaries: SuccessPercent',
          left: props.canaries.map((c) => canaryMetric(c, 'SuccessPercent', 'Average')),
          leftYAxis: { min: 0, max: 100 },
          leftAnnotations: [{ value: 100, label: 'all runs pass' }],
          width: 12,
        }),
        new cw.GraphWidget({
          title: 'Canaries: Duration (ms)',
          left: props.canaries.map((c) => canaryMetric(c, 'Duration', 'Average')),
          width: 12,
        }),
      );
    }

    for (const api of props.apiNames) {
      const gateway = (metricName: string, statistic: string, label: string) =>
        new cw.Metric({
          namespace: 'AWS/ApiGateway',
          metricName,
          dimensionsMap: { ApiName: api },
          statistic,
          period,
          label,
        });
      const errorRate = gateway('5XXError', 'Average', '5XX rate');
      this.dashboard.addWidgets(
        new cw.GraphWidget({
          title: `${api}: p99 latency (ms)`,
          left: [gateway('Latency', 'p99', 'p99'), gateway('Latency', 'p50', 'p50')],
          leftAnnotations: props.kpis.p99 !== undefined ? [{ value: props.kpis.p99, label: 'KPI p99' }] : [],
          width: 8,
        }),
        new cw.GraphWidget({
          title: `${api}: error rate`,
          left: [errorRate],
          leftAnnotations:
            props.kpis.errorRate !== undefined
              ? [{ value: props.kpis.errorRate, label: 'KPI error rate' }]
              : [],
          width: 8,
        }),
        new cw.GraphWidget({
          title: `${api}: availability (%)`,
          left: [
            new cw.MathExpression({
              expression: '100 * (1 - errors)',
              usingMetrics: { errors: errorRate },
              label: 'availability',
              period,
            }),
          ],
          leftAnnotations:
            props.kpis.availability !== undefined
              ? [{ value: props.kpis.availability, label: 'KPI availability' }]
              : [],
          width: 8,
        }),
      );
    }

    for (const fn of props.lambdaFunctions) {
      const lambda = (metricName: string, statistic: string) =>
        new cw.Metric({
          namespace: 'AWS/Lambda',
          metricName,
          dimensionsMap: { FunctionName: fn },
          statistic,
          period,
          label: `${metricName} ${statistic}`,
        });
      this.dashboard.addWidgets(
        new cw.GraphWidget({
          title: `${fn}: invocations, errors, throttles`,
          left: [lambda('Invocations', 'Sum'), lambda('Errors', 'Sum'), lambda('Throttles', 'Sum')],
          width: 12,
        }),
        new cw.GraphWidget({
          title: `${fn}: duration (ms)`,
          left: [lambda('Duration', 'p99'), lambda('Duration', 'p50')],
          width: 12,
        }),
      );
    }
  }
}
