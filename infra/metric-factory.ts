import { aws_cloudwatch as cw, Duration } from 'aws-cdk-lib';
import type { AlarmDefinition } from '../core/schema.ts';
import type { MetricSpec, RatioSpec } from './alarm-specs.ts';

const units = new Set<string>(Object.values(cw.Unit));

/** Layer 1: turns metric descriptions (suite alarm definitions, alarm specs) into CDK metrics. */
export class MetricFactory {
  metric(spec: MetricSpec, periodSeconds: number): cw.Metric {
    return new cw.Metric({
      namespace: spec.namespace,
      metricName: spec.metricName,
      dimensionsMap: spec.dimensions,
      statistic: spec.statistic,
      period: Duration.seconds(periodSeconds),
    });
  }

  fromSpec(spec: MetricSpec | RatioSpec, periodSeconds: number): cw.IMetric {
    if (spec.kind === 'metric') return this.metric(spec, periodSeconds);
    return new cw.MathExpression({
      expression: 'IF(denominator > 0, numerator / denominator, 0)',
      usingMetrics: {
        numerator: this.metric(spec.numerator, periodSeconds),
        denominator: this.metric(spec.denominator, periodSeconds),
      },
      label: spec.label,
      period: Duration.seconds(periodSeconds),
    });
  }

  /**
   * The metric of a suite alarm, with `dimensions` overriding dimension values (e.g. the deployed,
   * prefixed name of a canary).
   */
  fromDefinition(def: AlarmDefinition, dimensions: Record<string, string> = {}): cw.Metric {
    const dimensionsMap: Record<string, string> = {};
    for (const d of def.Dimensions ?? []) dimensionsMap[d.Name] = dimensions[d.Name] ?? d.Value;
    const statistic = def.ExtendedStatistic ?? def.Statistic;
    if (statistic === undefined)
      throw new Error(`alarm ${def.AlarmName}: expected Statistic or ExtendedStatistic`);
    if (def.Unit !== undefined && !units.has(def.Unit)) {
      throw new Error(`alarm ${def.AlarmName}: unknown CloudWatch unit "${def.Unit}"`);
    }
    return new cw.Metric({
      namespace: def.Namespace,
      metricName: def.MetricName,
      dimensionsMap,
      statistic,
      period: Duration.seconds(def.Period),
      ...(def.Unit !== undefined ? { unit: def.Unit as cw.Unit } : {}),
    });
  }
}
