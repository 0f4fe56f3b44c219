import type { Environment } from '../core/schema.ts';

/** Monitoring tier of an environment: dev is relaxed, staging full, prod full and stricter. */
export type Tier = 'dev' | 'staging' | 'prod';

export type Severity = 'critical' | 'warning' | 'info';

/** How one kind of service alarm is evaluated in a tier. */
export interface AlarmPolicy {
  threshold: number;
  /** Seconds (60 or a multiple; 10/20/30 would be high-resolution). */
  period: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  severity: Severity;
}

/**
 * The thresholds of the operations docs (shared/seeds: "Error Rate > 1 %", "Latency P99 > 3 s",
 * "DLQ Messages > 0", throttles as a sign of hitting the concurrency limit), per tier.
 */
export interface MonitoringProfile {
  tier: Tier;
  /** Lambda Errors / Invocations (fraction). */
  lambdaErrorRate: AlarmPolicy;
  /** Lambda Duration p99 in milliseconds. */
  lambdaP99Ms: AlarmPolicy;
  /** Lambda Throttles (count per period). */
  lambdaThrottles: AlarmPolicy;
  /** API Gateway 5XXError average (fraction of requests). */
  apiErrorRate: AlarmPolicy;
  /** API Gateway Latency p99 in milliseconds. */
  apiP99Ms: AlarmPolicy;
  /** SQS ApproximateNumberOfMessagesVisible on a dead-letter queue. */
  dlqDepth: AlarmPolicy;
  /** Canary SuccessPercent below this (percent). */
  canarySuccess: AlarmPolicy;
  /** Whether the composite "service down" alarm pages (critical) or only warns. */
  serviceDownSeverity: Severity;
}

const minute = 60;

/** Dev: five-minute periods, higher thresholds, nothing pages. */
const dev: MonitoringProfile = {
  tier: 'dev',
  lambdaErrorRate: {
    threshold: 0.05,
    period: 5 * minute,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    severity: 'warning',
  },
  lambdaP99Ms: {
    threshold: 5000,
    period: 5 * minute,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    severity: 'info',
  },
  lambdaThrottles: {
    threshold: 10,
    period: 5 * minute,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    severity: 'info',
  },
  apiErrorRate: {
    threshold: 0.05,
    period: 5 * minute,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    severity: 'warning',
  },
  apiP99Ms: {
    threshold: 5000,
    period: 5 * minute,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    severity: 'info',
  },
  dlqDepth: {
    threshold: 10,
    period: 5 * minute,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    severity: 'info',
  },
  canarySuccess: {
    threshold: 90,
    period: 5 * minute,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    severity: 'warning',
  },
  serviceDownSeverity: 'warning',
};

/** Staging: the thresholds of the docs on one-minute periods, 3 of 5. */
const staging: MonitoringProfile = {
  tier: 'staging',
  lambdaErrorRate: {
    threshold: 0.01,
    period: minute,
    evaluationPeriods: 5,
    datapointsToAlarm: 3,
    severity: 'critical',
  },
  lambdaP99Ms: {
    threshold: 3000,
    period: minute,
    evaluationPeriods: 5,
    datapointsToAlarm: 3,
    severity: 'warning',
  },
  lambdaThrottles: {
    threshold: 0,
    period: minute,
    evaluationPeriods: 5,
    datapointsToAlarm: 3,
    severity: 'warning',
  },
  apiErrorRate: {
    threshold: 0.01,
    period: minute,
    evaluationPeriods: 5,
    datapointsToAlarm: 3,
    severity: 'critical',
  },
  apiP99Ms: {
    threshold: 3000,
    period: minute,
    evaluationPeriods: 5,
    datapointsToAlarm: 3,
    severity: 'warning',
  },
  dlqDepth: { threshold: 0, period: minute, evaluationPeriods: 1, datapointsToAlarm: 1, severity: 'warning' },
  canarySuccess: {
    threshold: 100,
    period: 5 * minute,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    severity: 'warning',
  },
  serviceDownSeverity: 'critical',
};

/** Prod: the same thresholds, decided faster (2 of 3 minutes), and a failed canary run pages. */
const prod: MonitoringProfile = {
  tier: 'prod',
  lambdaErrorRate: {
    threshold: 0.01,
    period: minute,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    severity: 'critical',
  },
  lambdaP99Ms: {
    threshold: 3000,
    period: minute,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    severity: 'warning',
  },
  lambdaThrottles: {
    threshold: 0,
    period: minute,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    severity: 'critical',
  },
  apiErrorRate: {
    threshold: 0.01,
    period: minute,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    severity: 'critical',
  },
  apiP99Ms: {
    threshold: 3000,
    period: minute,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    severity: 'warning',
  },
  dlqDepth: {
    threshold: 0,
    period: minute,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    severity: 'critical',
  },
  canarySuccess: {
    threshold: 100,
    period: 5 * minute,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    severity: 'critical',
  },
  serviceDownSeverity: 'critical',
};

const profiles: Record<Tier, MonitoringProfile> = { dev, staging, prod };

/**
 * The tier of an environment: its `tier`, else `prod` for `production: true`, else `staging`.
 */
export function resolveTier(env: Pick<Environment, 'tier' | 'production'>): Tier {
  return env.tier ?? (env.production ? 'prod' : 'staging');
}

export function monitoringProfile(tier: Tier): MonitoringProfile {
  return profiles[tier];
}
