import { parseDuration } from '../core/duration.ts';
import type { Experiment, Suite } from '../core/schema.ts';
import { isCompositeAlarm, isMathAlarm } from '../core/suite-alarms.ts';
import { buildServiceAlarmSpecs } from './alarm-specs.ts';
import { CANARY_MEMORY_MB } from './deployment-settings.ts';
import { monitoringProfile, resolveTier, type Tier } from './monitoring-profile.ts';
import { PRICES_US_EAST_1, type PriceTable } from './prices.ts';

/** A canary as the estimate needs it. */
export interface CanaryForCost {
  name: string;
  schedule: string;
  type?: 'browser' | 'api';
}

/** What the estimate assumes beyond the config (each overridable; all stated in the output). */
export interface CostAssumptions {
  /** Hours in a month (AWS pricing examples use 730). */
  hoursPerMonth: number;
  /** How often each drill of the suite runs per quarter. */
  drillsPerQuarter: number;
  /** Gate runs per month that run the experiments through FIS in this environment. */
  fisGateRunsPerMonth: number;
  /** Alarm state changes per month that notify (ALARM and OK). */
  notificationsPerMonth: number;
  /** Average duration of one canary run, seconds (Lambda compute). */
  canaryRunSeconds: number;
  /** Artifacts stored per run, MB (screenshots and HAR for browser canaries, logs for api). */
  artifactMbPerRun: { browser: number; api: number };
  /** S3 PUTs per canary run (screenshots, HAR, logs, report). */
  putsPerRun: number;
}

const DEFAULT_ASSUMPTIONS: CostAssumptions = {
  hoursPerMonth: 730,
  drillsPerQuarter: 1,
  fisGateRunsPerMonth: 0,
  notificationsPerMonth: 50,
  canaryRunSeconds: 15,
  artifactMbPerRun: { browser: 1, api: 0.05 },
  putsPerRun: 5,
};

export interface CostLine {
  item: string;
  quantity: number;
  unit: string;
  unitPriceUsd: number;
  monthlyUsd: number;
  note?: string;
}

export interface CostBreakdown {
  env: string;
  tier: Tier;
  region: string | undefined;
  prices: PriceTable;
  assumptions: CostAssumptions;
  lines: CostLine[];
  totalUsd: number;
  notes: string[];
}

const round = (n: number, digits = 4) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Runs per month of a Synthetics schedule; undefined for cron() (not estimated). */
export function runsPerMonth(
  schedule: string,
  hoursPerMonth = DEFAULT_ASSUMPTIONS.hoursPerMonth,
): number | undefined {
  const m = /^rate\((\d+)\s+(minute|minutes|hour|hours)\)$/.exec(schedule.trim());
  if (!m) return undefined;
  const every = Number(m[1]);
  if (every === 0) return 0; // rate(0 minutes): runs once when started
  const minutes = m[2]?.startsWith('hour') ? every * 60 : every;
  return (hoursPerMonth * 60) / minutes;
}

/**
 * Action-minutes one run of an experiment bills: per action its `duration` parameter, rounded to the
 * nearest minute as FIS bills it, at least one minute; actions without a duration (e.g. ecs:stop-task)
 * count one minute.
 */
export function actionMinutes(experiment: Experiment): number {
  let total = 0;
  for (const action of Object.values(experiment.actions)) {
    const ms =
      action.parameters.duration !== undefined ? parseDuration(action.parameters.duration) : undefined;
    total += Math.max(1, Math.round((ms ?? 60_000) / 60_000));
  }
  return total;
}

/** How many alarm metrics, high-resolution alarm metrics and composite alarms the stack deploys. */
export function countAlarms(
  suite: Suite,
  envName: string,
  canaries: readonly CanaryForCost[],
): { standard: number; highResolution: number; composite: number } {
  const env = suite.environments[envName];
  if (!env) throw new Error(`unknown environment "${envName}"`);
  const profile = monitoringProfile(resolveTier(env));
  let standard = 0;
  let highResolution = 0;
  let critical = 0;
  let suiteComposites = 0;
  for (const def of suite.alarms) {
    if (def.severity === 'critical') critical++;
    if (isCompositeAlarm(def)) {
      suiteComposites++;
      continue;
    }
    // A metric-math alarm bills every metric it reads.
    const periods = isMathAlarm(def)
      ? def.Metrics.flatMap((q) => (q.MetricStat ? [q.MetricStat.Period] : []))
      : [def.Period];
    for (const period of periods) {
      if (period < 60) highResolution++;
      else standard++;
    }
  }
  for (const spec of buildServiceAlarmSpecs(env.aws?.resources ?? {}, profile)) {
    // A metric-math alarm bills every metric it reads.
    const metrics = spec.metric.kind === 'ratio' ? 2 : 1;
    if (spec.policy.period < 60) highResolution += metrics;
    else standard += metrics;
    if (spec.policy.severity === 'critical') critical++;
  }
  standard += canaries.length;
  const composite = (canaries.length > 0 || critical > 0 ? 1 : 0) + suiteComposites;
  return { standard, highResolution, composite };
}

/** The monthly cost of what infra deploys for one environment, line by line, with its prices. */
export function estimateCost(
  suite: Suite,
  envName: string,
  canaries: readonly CanaryForCost[],
  options: { prices?: PriceTable; assumptions?: Partial<CostAssumptions> } = {},
): CostBreakdown {
  const env = suite.environments[envName];
  if (!env) throw new Error(`unknown environment "${envName}"`);
  const prices = options.prices ?? PRICES_US_EAST_1;
  const a: CostAssumptions = { ...DEFAULT_ASSUMPTIONS, ...options.assumptions };
  const lines: CostLine[] = [];
  const notes: string[] = [];
  const line = (item: string, quantity: number, unit: string, unitPriceUsd: number, note?: string) =>
    lines.push({
      item,
      quantity: Number(quantity.toPrecision(4)),
      unit,
      unitPriceUsd,
      monthlyUsd: round(quantity * unitPriceUsd),
      ...(note ? { note } : {}),
    });

  // Canaries: runs, the Lambda compute behind them, their artifacts.
  let runs = 0;
  let artifactGbMonth = 0;
  for (const canary of canaries) {
    const perMonth = runsPerMonth(canary.schedule, a.hoursPerMonth);
    if (perMonth === undefined) {
      notes.push(`canary ${canary.name}: schedule ${canary.schedule} is not a rate(); not estimated`);
      continue;
    }
    runs += perMonth;
    const mb = a.artifactMbPerRun[canary.type ?? 'browser'];
    // Stored artifacts at steady state: runs × size × retention (in months).
    artifactGbMonth += (perMonth * mb * (suite.canaries.artifactRetentionDays / 30)) / 1024;
  }
  line('Synthetics canary runs', runs, 'runs', prices.canaryRun, `${canaries.length} canaries`);
  line(
    'Lambda compute of canary runs',
    runs * a.canaryRunSeconds * (CANARY_MEMORY_MB / 1024),
    'GB-s',
    prices.lambdaGbSecond,
    `${a.canaryRunSeconds} s × ${CANARY_MEMORY_MB} MB per run`,
  );
  line(
    'S3 canary artifacts (storage)',
    artifactGbMonth,
    'GB-month',
    prices.s3GbMonth,
    `${suite.canaries.artifactRetentionDays}-day retention`,
  );
  line('S3 canary artifacts (PUTs)', (runs * a.putsPerRun) / 1000, '1k PUTs', prices.s3PutPer1000);

  const alarms = countAlarms(suite, envName, canaries);
  line('CloudWatch alarms (standard)', alarms.standard, 'alarm metrics', prices.standardAlarmMetric);
  line(
    'CloudWatch alarms (high resolution)',
    alarms.highResolution,
    'alarm metrics',
    prices.highResolutionAlarmMetric,
  );
  line('CloudWatch composite alarms', alarms.composite, 'alarms', prices.compositeAlarm);
  line('CloudWatch dashboards', 1, 'dashboards', prices.dashboard);

  // FIS: the drills planned (per quarter) plus gate runs using FIS.
  let minutes = 0;
  for (const drill of Object.values(suite.drills)) {
    const experiment = suite.experiments[drill.experiment];
    if (experiment) minutes += (a.drillsPerQuarter / 3) * actionMinutes(experiment);
  }
  for (const experiment of Object.values(suite.experiments))
    minutes += a.fisGateRunsPerMonth * actionMinutes(experiment);
  line(
    'FIS action-minutes',
    minutes,
    'action-minutes',
    prices.fisActionMinute,
    `${Object.keys(suite.drills).length} drills × ${a.drillsPerQuarter}/quarter, ${a.fisGateRunsPerMonth} FIS gate runs/month`,
  );

  // SNS: one publish per notifying state change, delivered to every subscription of its topic.
  const routes = Object.values(env.aws?.notifications ?? {});
  const emails = routes.reduce((n, r) => n + (r?.emails?.length ?? 0), 0);
  const urls = routes.reduce((n, r) => n + (r?.urls?.length ?? 0), 0);
  line('SNS publishes', a.notificationsPerMonth / 1e6, 'million', prices.snsPublishPerMillion);
  line('SNS email deliveries', (a.notificationsPerMonth * emails) / 1e5, '100k', prices.snsEmailPer100k);
  line('SNS HTTPS deliveries', (a.notificationsPerMonth * urls) / 1e6, 'million', prices.snsHttpsPerMillion);
  // The alert topics' key and the FIS experiment log group's key.
  line('KMS keys (alert topics, FIS logs)', 2, 'keys', prices.kmsKeyMonth);

  if (env.region && env.region !== prices.region) {
    notes.push(`prices are ${prices.region} list prices; ${env.region} may differ slightly`);
  }
  notes.push(
    'free tiers are not subtracted; CloudWatch Logs of canary runs and FIS experiment logs are not included',
  );
  return {
    env: envName,
    tier: resolveTier(env),
    region: env.region,
    prices,
    assumptions: a,
    lines,
    totalUsd: round(
      lines.reduce((s, l) => s + l.monthlyUsd, 0),
      2,
    ),
    notes,
  };
}

/** The breakdown as a text table (CLI output). */
export function formatCostBreakdown(b: CostBreakdown): string {
  const rows = b.lines.map((l) => [
    l.item,
    `${l.quantity} ${l.unit}`,
    `$${l.unitPriceUsd}`,
    `$${l.monthlyUsd.toFixed(2)}`,
    l.note ?? '',
  ]);
  const header = ['item', 'quantity', 'unit price', 'per month', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (i === 2 || i === 3 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [
    `${b.env} (${b.tier}, ${b.region ?? 'no region'}): about $${b.totalUsd.toFixed(2)} per month`,
    `prices: ${b.prices.region} list prices as of ${b.prices.asOf}`,
    '',
    fmt(header),
    ...rows.map(fmt),
    '',
    ...b.notes.map((n) => `note: ${n}`),
  ].join('\n');
}
