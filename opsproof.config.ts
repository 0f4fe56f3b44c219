import { defineSuite } from 'opsproof';

/**
 * The demo suite: opsproof proving the bundled demo service (demo/). `npm start` runs
 * `opsproof gate --env local` against it. Thresholds and KPIs come from the service's operations
 * docs: availability > 99.9 %, p99 < 1 s, error rate < 1 %; alerts on error rate and p99 latency.
 */
export default defineSuite({
  service: 'opsproof-demo',
  description: 'Measurements API with a web form, health endpoints, JSON logs and OTLP traces.',

  environments: {
    local: {
      target: 'http://127.0.0.1:0',
      provider: 'embedded',
      demo: true,
      readyPath: '/health/ready',
      // One-minute alarm periods pass in 2 s, so the gate's chaos stage finishes in seconds.
      timeScale: 30,
    },
    staging: {
      target: 'https://api.staging.opsproof-demo.example.com',
      readyPath: '/health/ready',
      provider: 'aws',
      region: 'eu-west-1',
      tier: 'staging',
      aws: { canaryPrefix: 'demo-', alarmPrefix: 'opsproof-demo-staging-' },
    },
    prod: {
      target: 'https://api.opsproof-demo.example.com',
      readyPath: '/health/ready',
      provider: 'aws',
      region: 'eu-west-1',
      tier: 'prod',
      production: true,
      aws: { canaryPrefix: 'demo-', alarmPrefix: 'opsproof-demo-prod-' },
    },
  },

  kpis: { availability: 99.9, p99: 1000, errorRate: 0.01 },

  canaries: {
    files: ['demo/canaries/*.canary.ts'],
    concurrency: 2,
    retries: 0,
    timeout: '60s',
    stepTimeout: '15s',
    schedule: 'rate(5 minutes)',
  },

  load: {
    default: 'steady',
    profiles: {
      steady: {
        model: 'open',
        engine: 'open',
        rate: 50,
        duration: '10s',
        warmup: '2s',
        requests: [
          { name: 'list', method: 'GET', path: '/api/measurements', weight: 6 },
          {
            name: 'create',
            method: 'POST',
            path: '/api/measurements',
            body: { sensor: 'load', value: 21.5, unit: 'celsius' },
            expectStatus: 201,
            weight: 3,
          },
          { name: 'ready', method: 'GET', path: '/health/ready', weight: 1 },
        ],
      },
      background: {
        model: 'open',
        engine: 'open',
        rate: 20,
        duration: '60s',
        requests: [{ name: 'list', method: 'GET', path: '/api/measurements' }],
      },
    },
  },

  alarms: [
    {
      AlarmName: 'HighErrorRate',
      AlarmDescription:
        'More than 5 % of API requests fail with a 5XX (warning level of the error-rate alert).',
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Dimensions: [{ Name: 'ApiName', Value: 'opsproof-demo' }],
      Statistic: 'Average',
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Threshold: 0.05,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      severity: 'critical',
      runbook: 'demo/runbooks/high-error-rate.md',
    },
    {
      AlarmName: 'HighLatencyP99',
      AlarmDescription: 'p99 latency of the API above 1 s (the KPI).',
      Namespace: 'AWS/ApiGateway',
      MetricName: 'Latency',
      Dimensions: [{ Name: 'ApiName', Value: 'opsproof-demo' }],
      ExtendedStatistic: 'p99',
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Threshold: 1000,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      severity: 'warning',
      runbook: 'demo/runbooks/high-latency.md',
    },
    {
      AlarmName: 'CanaryFailing',
      AlarmDescription: 'A critical-path canary failed.',
      Namespace: 'CloudWatchSynthetics',
      MetricName: 'SuccessPercent',
      Dimensions: [{ Name: 'CanaryName', Value: 'api-roundtrip' }],
      Statistic: 'Average',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 100,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'missing',
      severity: 'critical',
      runbook: 'demo/runbooks/canary-failing.md',
    },
    {
      // The error-rate alarm of AWS's alarm guide, as CDK's MathExpression writes it: errors ÷
      // requests, 0 without traffic (no request is no error), over the gateway's request metrics.
      AlarmName: 'ApiErrorRate',
      AlarmDescription: 'More than 5 % of API requests answer 5XX (errors ÷ requests, 0 without traffic).',
      Metrics: [
        {
          Id: 'errors',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/ApiGateway',
              MetricName: '5XXError',
              Dimensions: [{ Name: 'ApiName', Value: 'opsproof-demo' }],
            },
            Period: 60,
            Stat: 'Sum',
          },
          ReturnData: false,
        },
        {
          Id: 'requests',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/ApiGateway',
              MetricName: 'Count',
              Dimensions: [{ Name: 'ApiName', Value: 'opsproof-demo' }],
            },
            Period: 60,
            Stat: 'Sum',
          },
          ReturnData: false,
        },
        {
          Id: 'rate',
          Expression: 'IF(requests > 0, errors / requests, 0)',
          Label: 'API 5XX rate',
          ReturnData: true,
        },
      ],
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Threshold: 0.05,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      severity: 'warning',
      runbook: 'demo/runbooks/high-error-rate.md',
    },
    {
      // Deployed as AWS::CloudWatch::CompositeAlarm; its rule names the suite's alarms (prefixed there).
      AlarmName: 'ApiDegraded',
      AlarmDescription: 'The API fails or is slow: the error-rate or the p99 latency alarm fires.',
      AlarmRule: 'ALARM(ApiErrorRate) OR ALARM(HighLatencyP99)',
      severity: 'warning',
    },
  ],

  experiments: {
    'api-latency': {
      description: 'Every API invocation is delayed by 1.5 s for 10 s.',
      targets: {
        Functions: {
          resourceType: 'aws:lambda:function',
          resourceTags: { service: 'opsproof-demo' },
          selectionMode: 'ALL',
        },
      },
      actions: {
        delay: {
          actionId: 'aws:lambda:invocation-add-delay',
          parameters: { duration: 'PT10S', invocationPercentage: '100', startupDelayMilliseconds: '1500' },
          targets: { Functions: 'Functions' },
        },
      },
      stopConditions: [{ source: 'aws:cloudwatch:alarm', value: 'HighErrorRate' }],
      load: 'background',
      // The API only: the health endpoints stay up, as they do when Lambda invocations are delayed.
      localPath: '/api/*',
      expect: [
        { kind: 'alarm-fires', alarm: 'HighLatencyP99', within: '10s', after: 'fault.start' },
        { kind: 'alarm-fires', alarm: 'ApiDegraded', within: '10s', after: 'fault.start' },
        { kind: 'alarm-recovers', alarm: 'HighLatencyP99', within: '15s', after: 'fault.end' },
      ],
    },
    'api-errors': {
      description: '30 % of API invocations fail for 10 s.',
      targets: {
        Functions: {
          resourceType: 'aws:lambda:function',
          resourceTags: { service: 'opsproof-demo' },
          selectionMode: 'ALL',
        },
      },
      actions: {
        errors: {
          actionId: 'aws:lambda:invocation-error',
          parameters: { duration: 'PT10S', invocationPercentage: '30', preventExecution: 'true' },
          targets: { Functions: 'Functions' },
        },
      },
      stopConditions: [{ source: 'aws:cloudwatch:alarm', value: 'CanaryFailing' }],
      load: 'background',
      localPath: '/api/*',
      expect: [
        { kind: 'alarm-fires', alarm: 'HighErrorRate', within: '10s', after: 'fault.start' },
        { kind: 'alarm-fires', alarm: 'ApiErrorRate', within: '10s', after: 'fault.start' },
        { kind: 'alarm-recovers', alarm: 'HighErrorRate', within: '15s', after: 'fault.end' },
        { kind: 'alarm-recovers', alarm: 'ApiErrorRate', within: '15s', after: 'fault.end' },
        { kind: 'alarm-recovers', alarm: 'ApiDegraded', within: '15s', after: 'fault.end' },
      ],
    },
    'process-kill': {
      description: 'The service process is killed and restarted (ECS task stop in AWS).',
      targets: {
        Tasks: {
          resourceType: 'aws:ecs:task',
          resourceTags: { service: 'opsproof-demo' },
          selectionMode: 'COUNT(1)',
          parameters: { cluster: 'opsproof-demo', service: 'opsproof-demo' },
        },
      },
      actions: {
        stop: { actionId: 'aws:ecs:stop-task', targets: { Tasks: 'Tasks' } },
      },
      stopConditions: [{ source: 'aws:cloudwatch:alarm', value: 'HighLatencyP99' }],
      load: 'background',
      expect: [],
    },
  },

  expectations: [
    { kind: 'alarm-stays-ok', alarm: 'HighErrorRate', during: 'load' },
    { kind: 'alarm-stays-ok', alarm: 'HighLatencyP99', during: 'load' },
    { kind: 'alarm-stays-ok', alarm: 'ApiErrorRate', during: 'load' },
    // A composite's evidence is its children's datapoints.
    { kind: 'alarm-stays-ok', alarm: 'ApiDegraded', during: 'load' },
    {
      kind: 'trace-appears',
      attributes: { 'http.route': '/api/measurements' },
      within: '10s',
      after: 'load.start',
    },
    { kind: 'log-appears', fields: { route: '/api/measurements' }, within: '10s', after: 'load.start' },
  ],

  drills: {
    alert: {
      kind: 'alert',
      description: 'Error-rate alert drill: 30 % errors must page, and the alarm must clear after the fault.',
      experiment: 'api-errors',
      alarm: 'HighErrorRate',
      alarmWithin: '20s',
      recoverWithin: '30s',
      load: 'background',
    },
    dr: {
      kind: 'dr',
      description: 'DR drill: the service process dies; detect the outage and recover within the RTO.',
      experiment: 'process-kill',
      rto: '30s',
      detectWithin: '10s',
      detectBy: { canary: 'api-roundtrip' },
      load: 'background',
    },
  },
});
