/**
 * The config schema (zod): the one source of the suite's types, their runtime validation and the
 * generated JSON Schema (schema/). One file, over 400 lines, because it is that single source: the
 * suite's sections refer to each other (named targets, profiles, alarms) and the JSON Schema is
 * generated from the whole.
 */

import { z } from 'zod';
import { parseDuration } from './duration.ts';
import { KPI_SYNTAX_HINT, parseThreshold } from './threshold.ts';

/**
 * The one schema of the suite config (`opsproof.config.ts` → `defineSuite({...})`). Types, runtime
 * validation and the JSON Schema editors use (`schema/opsproof.schema.json`) all come from here.
 */

const name = z
  .string()
  .min(1)
  .max(128)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'expected letters, digits, ".", "_" or "-", starting with a letter or digit',
  );

/** A duration: `250ms`, `30s`, `5m`, `1h`, `PT5M`. */
export const duration = z
  .string()
  .refine((s) => parseDuration(s) !== undefined, { message: 'expected a duration like 30s, 5m or PT5M' })
  .describe('A duration: 250ms, 30s, 5m, 1h or ISO-8601 (PT5M).');

const positive = z.number().positive('expected a positive number');
const percent = z.number().min(0).max(100);
const fraction = z.number().min(0).max(1);

const threshold = z
  .string()
  .refine((s) => parseThreshold(s).ok, {
    message: `not a threshold: ${KPI_SYNTAX_HINT}`,
  })
  .describe("A k6-style threshold: 'p(95)<300' (ms), 'rate<0.01' (error rate), 'rps>100'.");

/** KPIs the load stage is held to. Defaults come from the service's operations docs. */
export const kpisSchema = z
  .object({
    /** Availability in percent (successful requests / all), e.g. 99.9. */
    availability: percent.optional().describe('Minimum availability in percent, e.g. 99.9.'),
    /** Maximum p50 latency in milliseconds. */
    p50: positive.optional().describe('Maximum p50 latency (ms).'),
    /** Maximum p95 latency in milliseconds. */
    p95: positive.optional().describe('Maximum p95 latency (ms).'),
    /** Maximum p99 latency in milliseconds. @defaultValue 1000 */
    p99: positive.optional().describe('Maximum p99 latency (ms).'),
    /** Maximum error rate as a fraction, e.g. 0.01 for 1 %. */
    errorRate: fraction.optional().describe('Maximum error rate as a fraction (0.01 = 1 %).'),
    /** Minimum throughput in requests per second. */
    minRps: positive.optional().describe('Minimum throughput (requests per second).'),
    /** Extra thresholds in k6 syntax. */
    thresholds: z.array(threshold).optional(),
  })
  .strict();

/** KMS key (ARN) of a customer-managed key: deployed canaries get `kms:Decrypt` on it. */
const kmsKey = z
  .string()
  .regex(/^arn:aws[a-z-]*:kms:/, 'expected a KMS key ARN')
  .optional();

const secretRef = z.union([
  z.object({ env: z.string().min(1) }).strict(),
  z.object({ ssm: z.string().min(1), kmsKey }).strict(),
  z.object({ secretsManager: z.string().min(1), key: z.string().optional(), kmsKey }).strict(),
]);

/** Where `canary watch` sends alerts: a failure after `after` failed runs in a row, and the recovery. */
const watchAlertSchema = z
  .object({
    /** Receiver URL. */
    url: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }),
    /** Payload: generic JSON, Slack incoming webhook, PagerDuty Events v2, or the SNS-shaped message. */
    format: z.enum(['generic', 'slack', 'pagerduty', 'sns']).default('generic'),
    /** PagerDuty Events v2 routing key (format pagerduty); may be `${secret:NAME}`. */
    routingKey: z.string().optional(),
  })
  .strict()
  // Events v2 refuses an event without it: caught at load, not at the first outage.
  .refine((a) => a.format !== 'pagerduty' || a.routingKey !== undefined, {
    message: 'a pagerduty receiver needs its routingKey (the Events v2 integration key)',
    path: ['routingKey'],
  });

/** `canary watch`: when a failing canary alerts and where. */
export const watchSchema = z
  .object({
    /** Failed runs in a row (each after its retries) before the failure alert. @defaultValue 2 */
    failuresBeforeAlert: z.number().int().min(1).max(100).default(2),
    /** Passed runs in a row before the recovery is announced (damps flapping). @defaultValue 1 */
    passesBeforeRecovery: z.number().int().min(1).max(100).default(1),
    /** Pause before retrying a failed canary, doubled per retry. @defaultValue '2s' */
    retryBackoff: duration.default('2s'),
    /** Receivers. */
    alerts: z.array(watchAlertSchema).default([]),
    /** aws provider: also publish to the severity's SNS topic (ARN). */
    snsTopicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:/, 'expected an SNS topic ARN')
      .optional(),
    /**
     * aws provider: also publish to the alert topic `opsproof infra` deploys for this severity
     * (`<service>-<env>-<severity>`), in the environment's region and `aws.accountId` (else the
     * caller's account).
     */
    snsSeverity: z.enum(['critical', 'warning', 'info']).optional(),
  })
  .strict();

/** How opsproof starts a local target for the run (and stops it after). */
export const targetProcessSchema = z
  .object({
    /** Command and arguments. */
    command: z.array(z.string().min(1)).min(1),
    cwd: z.string().optional(),
    env: z.record(z.string(), z.string()).optional(),
    /**
     * Path polled until it answers 2xx. The environment's `readyPath`, when set, wins over this one.
     * @defaultValue '/health/ready'
     */
    readyPath: z.string().startsWith('/').default('/health/ready'),
    /** How long to wait for readiness. @defaultValue '20s' */
    readyTimeout: duration.default('20s'),
  })
  .strict();

const httpUrl = z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' });
const readyPath = z.string().startsWith('/', 'expected a path starting with /, e.g. /health');

/**
 * One named target of an environment (`environments.X.targets.NAME`): an http service (`url`), or a
 * process checked over TCP (a database: `start` + `readyTcp`, no url) that process faults can name.
 */
export const namedTargetSchema = z
  .object({
    /** Base URL of this target. Canaries, load and gateway faults need one. */
    url: httpUrl.optional(),
    /** Readiness path checked by preflight (and polled when opsproof starts it). @defaultValue '/' (`start.readyPath` with `start`) */
    readyPath: readyPath.optional(),
    /** Ready when this `host:port` accepts a TCP connection (a target without http). */
    readyTcp: z
      .string()
      .regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:5432')
      .optional(),
    /** Start this process as the target (`{port}` in the command is the url's port, or a free one for port 0). */
    start: targetProcessSchema.optional(),
  })
  .strict()
  .refine((t) => t.url !== undefined || t.readyTcp !== undefined, {
    message: 'expected url (an http service) or readyTcp (a process such as a database)',
  });

export const environmentSchema = z
  .object({
    /** Base URL of the service under test (or name several in `targets`). */
    target: httpUrl.optional(),
    /**
     * Several named targets (DESIGN.md, Targets); the first is the default. Canaries
     * (`defineCanary({ target })`), load profiles and experiments (`localTarget`) name theirs.
     * A URL alone is `{ url }`. Instead of `target`/`readyPath`/`start`.
     */
    targets: z
      .record(name, z.union([httpUrl, namedTargetSchema]))
      .refine((t) => Object.keys(t).length > 0, 'expected at least one target')
      .optional(),
    /**
     * The target's readiness path: preflight checks it answers 2xx/3xx, whether opsproof starts the
     * target or it already runs, and a started target is polled on it until it answers 2xx. Wins over
     * `start.readyPath`. @defaultValue '/' (`start.readyPath` when `start` is given, '/health/ready'
     * for the demo)
     */
    readyPath: z.string().startsWith('/', 'expected a path starting with /, e.g. /health').optional(),
    /** Where telemetry and faults come from. @defaultValue 'embedded' */
    provider: z.enum(['embedded', 'aws']).default('embedded'),
    /** AWS region (aws provider). */
    region: z
      .string()
      .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'expected an AWS region like eu-west-1')
      .optional(),
    /** A production environment refuses chaos unless `--allow-production` is given. @defaultValue false */
    production: z.boolean().default(false),
    /** Monitoring tier for infra: dev is relaxed, prod stricter. */
    tier: z.enum(['dev', 'staging', 'prod']).optional(),
    /**
     * Embedded provider: alarm time runs this many times faster than the wall clock, so a local drill
     * with 60 s periods finishes in seconds (60 ⇒ a one-minute period lasts one second). @defaultValue 1
     */
    timeScale: z.number().min(1).max(600).default(1),
    /** Start the bundled demo service (with fault gateway and embedded telemetry) for the run. */
    demo: z.boolean().default(false),
    /** Or start this process as the target. */
    start: targetProcessSchema.optional(),
    /** KPI overrides for this environment. */
    kpis: kpisSchema.optional(),
    /** Secrets, referenced in headers as `${secret:NAME}`; never stored in clear in the config. */
    secrets: z.record(z.string(), secretRef).optional(),
    /** Headers sent by canaries and load to this environment (may reference secrets). */
    headers: z.record(z.string(), z.string()).optional(),
    /** `canary watch` alerting for this environment. */
    watch: watchSchema.optional(),
    /** AWS-side names (aws provider). */
    aws: z
      .object({
        accountId: z
          .string()
          .regex(/^\d{12}$/, 'expected a 12-digit account id')
          .optional(),
        /** Prefix of deployed canary names. */
        canaryPrefix: z.string().optional(),
        /**
         * Runs the deployed canaries inside this VPC (private services). The subnets need a route to
         * S3, CloudWatch, CloudWatch Logs and (for header secrets) Secrets Manager/SSM: VPC endpoints
         * or a NAT gateway (infra/README.md).
         */
        vpc: z
          .object({
            subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, 'expected a subnet id')).min(1),
            securityGroupIds: z
              .array(z.string().regex(/^sg-[0-9a-f]+$/, 'expected a security group id'))
              .min(1),
            /** IPv6 outbound in dual-stack subnets. @defaultValue false */
            ipv6AllowedForDualStack: z.boolean().optional(),
          })
          .strict()
          .optional(),
        /** Prefix of deployed alarm names. */
        alarmPrefix: z.string().optional(),
        /** SQS queue receiving EventBridge alarm state changes (push path). */
        alarmEventsQueueUrl: z.string().optional(),
        /** Log groups searched for log expectations. */
        logGroups: z.array(z.string()).optional(),
        /** Service resources the infra alarms watch. */
        resources: z
          .object({
            lambdaFunctions: z.array(z.string()).optional(),
            apiGateways: z.array(z.string()).optional(),
            dlqNames: z.array(z.string()).optional(),
          })
          .strict()
          .optional(),
        /** Alert routing per severity. */
        notifications: z
          .object({
            critical: z
              .object({ emails: z.array(z.email()).optional(), urls: z.array(z.url()).optional() })
              .optional(),
            warning: z
              .object({ emails: z.array(z.email()).optional(), urls: z.array(z.url()).optional() })
              .optional(),
            info: z
              .object({ emails: z.array(z.email()).optional(), urls: z.array(z.url()).optional() })
              .optional(),
          })
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((env, ctx) => {
    if (env.targets === undefined) {
      if (env.target === undefined)
        ctx.addIssue({ code: 'custom', path: ['target'], message: 'expected target (a URL) or targets' });
      return;
    }
    for (const key of ['target', 'readyPath', 'start', 'demo'] as const) {
      if (env[key] !== undefined && env[key] !== false) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `with targets, set ${key === 'target' ? 'each url' : key} on the target it belongs to`,
        });
      }
    }
    if (!Object.values(env.targets).some((t) => typeof t === 'string' || t.url !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['targets'], message: 'expected at least one target with a url' });
    }
  })
  .transform(({ target, targets, ...env }) => {
    const out: typeof env & { target: string; targets?: Record<string, z.output<typeof namedTargetSchema>> } =
      {
        ...env,
        target: target ?? '',
      };
    if (targets === undefined) return out;
    out.targets = Object.fromEntries(
      Object.entries(targets).map(([key, t]) => [key, typeof t === 'string' ? { url: t } : t]),
    );
    // The default target: the first one, or the first with a url when the first is a process only.
    out.target = Object.values(out.targets).find((t) => t.url !== undefined)?.url ?? '';
    return out;
  });

/** A named target after validation (a bare URL becomes `{ url }`). */
export type NamedTarget = z.output<typeof namedTargetSchema>;

/** Canaries: files with `defineCanary` default exports, and how they run. */
export const canariesSchema = z
  .object({
    /** Canary files or globs, relative to the config file. */
    files: z.array(z.string().min(1)).default([]),
    /** Canaries run at once. @defaultValue 2 */
    concurrency: z.number().int().min(1).max(16).default(2),
    /** Retries of a failed canary, as Synthetics' auto-retry. @defaultValue 0 */
    retries: z.number().int().min(0).max(2).default(0),
    /** Timeout of one canary run. @defaultValue '60s' */
    timeout: duration.default('60s'),
    /** Timeout of one step. @defaultValue '30s' */
    stepTimeout: duration.default('30s'),
    /** Schedule (Synthetics syntax). @defaultValue 'rate(5 minutes)' */
    schedule: z.string().default('rate(5 minutes)'),
    /** Days Synthetics keeps artifacts. @defaultValue 31 */
    artifactRetentionDays: z.number().int().min(1).max(455).default(31),
  })
  .strict();

const requestSchema = z
  .object({
    name: z.string().optional(),
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
    /** Path relative to the target, e.g. `/api/measurements`. */
    path: z.string().startsWith('/'),
    headers: z.record(z.string(), z.string()).optional(),
    /** Body; objects are sent as JSON. */
    body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
    /** Statuses that count as success. @defaultValue 2xx and 3xx */
    expectStatus: z
      .union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599))])
      .optional(),
    /** Relative weight in the mix. @defaultValue 1 */
    weight: positive.default(1),
  })
  .strict();

/** A load profile: open model (arrival rate) or closed model (connections). */
export const loadProfileSchema = z
  .object({
    /** `open`: requests arrive at `rate` whatever the server does; `closed`: `connections` loop. */
    model: z.enum(['open', 'closed']).default('open'),
    engine: z.enum(['open', 'autocannon', 'k6']).default('open'),
    /** Arrival rate in requests per second (open model). */
    rate: positive.optional(),
    /** Ramping arrival rate: each stage moves linearly to `target` req/s over `duration`. */
    stages: z.array(z.object({ duration, target: z.number().min(0) }).strict()).optional(),
    /**
     * Closed model: the connections that loop. Open model: the connections the engine may always open
     * (default 64); beyond them it opens what the rate needs (rate × latency), up to `maxInFlight`.
     * k6: its `preAllocatedVUs`.
     */
    connections: z.number().int().min(1).max(10_000).optional(),
    /** Measured duration. @defaultValue '30s' */
    duration: duration.default('30s'),
    /** Excluded from the statistics. @defaultValue '0s' */
    warmup: duration.default('0s'),
    /** Cap on requests in flight (open model); arrivals beyond it are counted as `dropped`. @defaultValue 1000 */
    maxInFlight: z.number().int().min(1).max(100_000).default(1000),
    /** Per-request timeout. @defaultValue '10s' */
    timeout: duration.default('10s'),
    requests: z
      .array(requestSchema)
      .min(1)
      .default([{ method: 'GET', path: '/', weight: 1 }]),
    /** Thresholds for this profile in k6 syntax, on top of the environment's KPIs. */
    thresholds: z.array(threshold).optional(),
    /** The environment's named target this profile loads (`environments.X.targets`). @defaultValue the first target */
    target: name.optional(),
  })
  .strict();

/** An FIS-shaped experiment target. */
const experimentTargetSchema = z
  .object({
    resourceType: z.string().min(1),
    resourceArns: z.array(z.string()).optional(),
    resourceTags: z.record(z.string(), z.string()).optional(),
    filters: z.array(z.object({ path: z.string(), values: z.array(z.string()) }).strict()).optional(),
    /** `ALL`, `COUNT(n)`, `PERCENT(n)`. */
    selectionMode: z
      .string()
      .regex(/^(ALL|COUNT\(\d+\)|PERCENT\(\d+\))$/, 'expected ALL, COUNT(n) or PERCENT(n)'),
    parameters: z.record(z.string(), z.string()).optional(),
    /**
     * The named local target (`environments.X.targets`) that stands for these resources on the
     * embedded provider: the process that stop / terminate / reboot / failover actions act on. Never
     * sent to FIS. @defaultValue the experiment's `localTarget`, else the environment's default target
     * @example 'db'
     */
    localTarget: name.optional(),
  })
  .strict();

const experimentActionSchema = z
  .object({
    actionId: z.string().regex(/^aws:[a-z0-9-]+:[a-z0-9-]+$/, 'expected an FIS action id like aws:fis:wait'),
    description: z.string().optional(),
    /** Parameters as FIS takes them (strings; durations in ISO-8601). */
    parameters: z.record(z.string(), z.string()).default({}),
    /** Target references by FIS's target key (e.g. `Functions`) → target name. */
    targets: z.record(z.string(), z.string()).optional(),
    startAfter: z.array(z.string()).optional(),
    /**
     * What the action does on the embedded provider (DESIGN.md, Experiments), instead of its own
     * local effect when it has one: a fault SPEC on the gateway for the action's duration, a process
     * fault on a named local target (`environments.X.targets`), or a command and its undo. Never sent
     * to FIS.
     * @example { fault: 'blackhole:percent=100,path=/orders/*' }
     */
    local: z
      .union([
        z.object({ fault: z.string().min(1) }).strict(),
        z.object({ process: z.enum(['kill', 'restart', 'pause']), target: z.string().min(1) }).strict(),
        z.object({ run: z.array(z.string()).min(1), undo: z.array(z.string()).min(1).optional() }).strict(),
      ])
      .optional(),
  })
  .strict();

/** Where an expectation's clock starts. */
const anchor = z
  .enum([
    'fault.start',
    'fault.end',
    'experiment.start',
    'experiment.end',
    'load.start',
    'load.end',
    'run.start',
  ])
  .describe('Timeline event the deadline counts from.');

/** What must happen, by when. Each records what it measured as well as its verdict. */
export const expectationSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('alarm-fires'),
      name: z.string().optional(),
      alarm: z.string().min(1),
      /** Deadline from `after`. */
      within: duration,
      after: anchor.default('fault.start'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('alarm-recovers'),
      name: z.string().optional(),
      alarm: z.string().min(1),
      within: duration,
      after: anchor.default('fault.end'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('alarm-stays-ok'),
      name: z.string().optional(),
      alarm: z.string().min(1),
      /** Window to watch: the load stage, or a fixed duration from the start of assertions. */
      during: z.union([z.literal('load'), duration]).default('load'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('trace-appears'),
      name: z.string().optional(),
      /** Span attributes (embedded) or X-Ray annotations (aws) the trace must carry. */
      attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
      within: duration,
      after: anchor.default('run.start'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('log-appears'),
      name: z.string().optional(),
      fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
      within: duration,
      after: anchor.default('run.start'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('metric-within'),
      name: z.string().optional(),
      namespace: z.string(),
      metricName: z.string(),
      dimensions: z.record(z.string(), z.string()).optional(),
      statistic: z.union([
        z.enum(['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum']),
        z.string().regex(/^p\d{1,2}(\.\d+)?$/),
      ]),
      period: duration.default('1m'),
      min: z.number().optional(),
      max: z.number().optional(),
      during: z.union([z.literal('load'), duration]).default('load'),
    })
    .strict(),
]);

/** An FIS-shaped experiment, run locally through the fault gateway or in AWS through FIS. */
export const experimentSchema = z
  .object({
    description: z.string().default(''),
    targets: z.record(z.string(), experimentTargetSchema).default({}),
    actions: z
      .record(z.string(), experimentActionSchema)
      .refine((a) => Object.keys(a).length > 0, 'expected at least one action'),
    /** Alarms that stop the experiment (FIS stop conditions). */
    stopConditions: z
      .array(
        z.object({ source: z.enum(['aws:cloudwatch:alarm', 'none']), value: z.string().optional() }).strict(),
      )
      .default([{ source: 'none' }]),
    tags: z.record(z.string(), z.string()).optional(),
    /** IAM role FIS assumes (aws; infra creates one per template when omitted). */
    roleArn: z.string().optional(),
    /** Load profile running during the experiment (gate and drills). */
    load: z.string().optional(),
    /**
     * Local mapping: which paths of the target the fault gateway's faults apply to (a glob, `*` matches
     * any characters). A fault that matches no request fails its action. @defaultValue '/*' (every path)
     */
    localPath: z.string().default('/*'),
    /**
     * Local mapping: the environment's named target whose fault gateway takes the faults
     * (`environments.X.targets`). @defaultValue the first target
     */
    localTarget: name.optional(),
    /** What the experiment should trigger. */
    expect: z.array(expectationSchema).default([]),
    /** Allow targets that resolve to nothing (FIS). @defaultValue false */
    allowEmptyTargets: z.boolean().default(false),
    /**
     * FIS experiment options, as CreateExperimentTemplate takes them. `emptyTargetResolutionMode`
     * wins over `allowEmptyTargets`. @defaultValue single-account, fail
     */
    experimentOptions: z
      .object({
        accountTargeting: z.enum(['single-account', 'multi-account']).optional(),
        emptyTargetResolutionMode: z.enum(['fail', 'skip']).optional(),
      })
      .strict()
      .optional(),
    /** Where FIS writes the experiment log (aws engine; CreateExperimentTemplate's shape). */
    logConfiguration: z
      .object({
        cloudWatchLogsConfiguration: z
          .object({ logGroupArn: z.string().min(1) })
          .strict()
          .optional(),
        s3Configuration: z
          .object({ bucketName: z.string().min(1), prefix: z.string().optional() })
          .strict()
          .optional(),
        logSchemaVersion: z.number().int().min(1),
      })
      .strict()
      .optional(),
    /** The FIS experiment report (aws engine; CreateExperimentTemplate's shape). */
    experimentReportConfiguration: z
      .object({
        outputs: z
          .object({
            s3Configuration: z
              .object({ bucketName: z.string().min(1), prefix: z.string().optional() })
              .strict()
              .optional(),
          })
          .strict()
          .optional(),
        dataSources: z
          .object({
            cloudWatchDashboards: z
              .array(z.object({ dashboardIdentifier: z.string().min(1) }).strict())
              .optional(),
          })
          .strict()
          .optional(),
        /** ISO-8601, e.g. PT5M: metrics before the experiment in the report. */
        preExperimentDuration: z.string().optional(),
        postExperimentDuration: z.string().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** An alarm's period in seconds, as CloudWatch takes it. */
const alarmPeriod = z
  .number()
  .int()
  .refine(
    (p) => p === 10 || p === 20 || p === 30 || (p >= 60 && p % 60 === 0),
    'expected 10, 20, 30 or a multiple of 60',
  );

const alarmDimensions = z.array(z.object({ Name: z.string(), Value: z.string() }).strict()).optional();

/** How a metric or math alarm evaluates its datapoints: CloudWatch's own property names. */
const alarmEvaluationFields = {
  EvaluationPeriods: z.number().int().min(1),
  DatapointsToAlarm: z.number().int().min(1).optional(),
  Threshold: z.number(),
  ComparisonOperator: z.enum([
    'GreaterThanOrEqualToThreshold',
    'GreaterThanThreshold',
    'LessThanThreshold',
    'LessThanOrEqualToThreshold',
  ]),
  TreatMissingData: z.enum(['missing', 'notBreaching', 'breaching', 'ignore']).default('missing'),
  EvaluateLowSampleCountPercentile: z.enum(['evaluate', 'ignore']).optional(),
};

/** opsproof's own fields on every alarm kind. */
const alarmRoutingFields = {
  /** opsproof: severity for alert routing. @defaultValue 'warning' */
  severity: z.enum(['critical', 'warning', 'info']).default('warning'),
  /** opsproof: runbook path (relative to the config) or URL. */
  runbook: z.string().optional(),
};

const datapointsWithinPeriods = (a: { DatapointsToAlarm?: number; EvaluationPeriods: number }) =>
  a.DatapointsToAlarm === undefined || a.DatapointsToAlarm <= a.EvaluationPeriods;
const DATAPOINTS_WITHIN_PERIODS = {
  message: 'DatapointsToAlarm must not exceed EvaluationPeriods',
  path: ['DatapointsToAlarm'],
};

/** A CloudWatch alarm, with CloudWatch's own property names (as `AWS::CloudWatch::Alarm`). */
export const alarmSchema = z
  .object({
    AlarmName: z.string().min(1).max(255),
    AlarmDescription: z.string().optional(),
    Namespace: z.string().min(1),
    MetricName: z.string().min(1),
    Dimensions: alarmDimensions,
    Statistic: z.enum(['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum']).optional(),
    ExtendedStatistic: z
      .string()
      .regex(/^p(\d{1,2}(\.\d{1,2})?|100)$/, 'expected a percentile like p99 or p99.9')
      .optional(),
    Period: alarmPeriod,
    ...alarmEvaluationFields,
    Unit: z.string().optional(),
    ...alarmRoutingFields,
  })
  .strict()
  .refine((a) => (a.Statistic === undefined) !== (a.ExtendedStatistic === undefined), {
    message: 'expected exactly one of Statistic or ExtendedStatistic',
    path: ['Statistic'],
  })
  .refine(datapointsWithinPeriods, DATAPOINTS_WITHIN_PERIODS);

/** One item of an alarm's `Metrics` (CloudWatch `MetricDataQuery`): a metric, or a math expression over the others. */
export const metricDataQuerySchema = z
  .object({
    /** Starts with a lower-case letter; letters, digits and `_`. */
    Id: z.string().regex(/^[a-z][a-zA-Z0-9_]*$/, 'expected an id starting with a lower-case letter'),
    Expression: z.string().min(1).optional(),
    MetricStat: z
      .object({
        Metric: z
          .object({
            Namespace: z.string().min(1),
            MetricName: z.string().min(1),
            Dimensions: alarmDimensions,
          })
          .strict(),
        Period: alarmPeriod,
        /** `Sum`, `Average`, `SampleCount`, `Minimum`, `Maximum` or a percentile `pNN`. */
        Stat: z
          .string()
          .regex(
            /^(Sum|Average|SampleCount|Minimum|Maximum|p(\d{1,2}(\.\d{1,2})?|100))$/,
            'expected Sum, Average, SampleCount, Minimum, Maximum or a percentile like p99',
          ),
        Unit: z.string().optional(),
      })
      .strict()
      .optional(),
    /** The query whose datapoints the alarm evaluates. @defaultValue true (CloudWatch's default) */
    ReturnData: z.boolean().optional(),
    Label: z.string().optional(),
    Period: alarmPeriod.optional(),
    AccountId: z.string().optional(),
  })
  .strict()
  .refine((q) => (q.Expression === undefined) !== (q.MetricStat === undefined), {
    message: 'expected exactly one of Expression or MetricStat',
    path: ['Expression'],
  });

/** A metric math alarm: `AWS::CloudWatch::Alarm` with `Metrics` instead of one metric. */
export const mathAlarmSchema = z
  .object({
    AlarmName: z.string().min(1).max(255),
    AlarmDescription: z.string().optional(),
    Metrics: z.array(metricDataQuerySchema).min(1).max(20),
    ...alarmEvaluationFields,
    ...alarmRoutingFields,
  })
  .strict()
  .refine(datapointsWithinPeriods, DATAPOINTS_WITHIN_PERIODS);

/** A composite alarm (`AWS::CloudWatch::CompositeAlarm`): a rule over the states of other alarms. */
export const compositeAlarmSchema = z
  .object({
    AlarmName: z.string().min(1).max(255),
    AlarmDescription: z.string().optional(),
    /** e.g. `ALARM("CPU high") AND NOT OK(Errors)`. */
    AlarmRule: z.string().min(1).max(10240),
    ...alarmRoutingFields,
  })
  .strict();

/**
 * An alarm of the suite: one metric (`Namespace`/`MetricName`), metric math (`Metrics`) or a
 * composite (`AlarmRule`), with CloudFormation's property names. The embedded provider evaluates
 * each as CloudWatch would; `infra/` deploys each as written.
 */
export const suiteAlarmSchema = z.union([alarmSchema, mathAlarmSchema, compositeAlarmSchema]);

export type MetricDataQuery = z.output<typeof metricDataQuerySchema>;
export type MathAlarmDefinition = z.output<typeof mathAlarmSchema>;
export type CompositeAlarmDefinition = z.output<typeof compositeAlarmSchema>;

/** A drill: an alert drill (fault → alarm → notification → recovery) or a DR drill (kill → detect → recover). */
export const drillSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('alert'),
      description: z.string().default(''),
      /** Experiment that produces the signal. */
      experiment: z.string(),
      /** Alarm that must fire. */
      alarm: z.string(),
      /** Deadlines. */
      alarmWithin: duration.default('3m'),
      recoverWithin: duration.default('5m'),
      load: z.string().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('dr'),
      description: z.string().default(''),
      /** Recovery time objective. */
      rto: duration,
      /** Detect within this long. */
      detectWithin: duration.default('1m'),
      /** Experiment that causes the outage (e.g. an `aws:ecs:stop-task` → process kill). */
      experiment: z.string(),
      /** Alarm or canary that detects the outage. */
      detectBy: z
        .union([z.object({ alarm: z.string() }).strict(), z.object({ canary: z.string() }).strict()])
        .optional(),
      load: z.string().optional(),
    })
    .strict(),
]);

/** Where runs are recorded and how a baseline comparison reads their spread (history/README.md). */
export const historySchema = z
  .object({
    /**
     * The history database (SQLite), relative to the config file; `OPSPROOF_HISTORY` and `--history`
     * override it, `OPSPROOF_HISTORY=off` records nothing.
     * @defaultValue `reports/history.db` in the working directory
     */
    file: z.string().min(1).optional().describe('History database file, relative to the config file.'),
    /** How `--baseline` tells a regression from run-to-run noise. */
    baseline: z
      .object({
        /** Passed runs of the same profile and environment whose spread is measured. @defaultValue 10 */
        runs: z.number().int().min(2).default(10),
        /** Fewer passed runs than this: the fixed `tolerance` applies instead. @defaultValue 5 */
        minRuns: z.number().int().min(2).default(5),
        /** How many robust standard deviations (1.4826 × MAD) worse counts as a regression. @defaultValue 3 */
        k: positive.default(3),
        /** Relative tolerance without enough history (0.1 = 10 % worse). @defaultValue 0.1 */
        tolerance: z.number().min(0).default(0.1),
        /** Latency changes smaller than this many ms never count as a regression. @defaultValue 5 */
        floorMs: z.number().min(0).default(5),
        /** Throughput drops smaller than this many requests per second never count. @defaultValue 1 */
        floorRps: z.number().min(0).default(1),
      })
      .strict()
      .default({ runs: 10, minRuns: 5, k: 3, tolerance: 0.1, floorMs: 5, floorRps: 1 }),
  })
  .strict();

export const suiteSchema = z
  .object({
    /** Service name, used in reports, metric dimensions and stack names. */
    service: name,
    description: z.string().optional(),
    environments: z
      .record(name, environmentSchema)
      .refine((e) => Object.keys(e).length > 0, 'expected at least one environment'),
    /** KPIs for every environment (environments may override). */
    kpis: kpisSchema.default({ availability: 99.9, p99: 1000, errorRate: 0.01 }),
    canaries: canariesSchema.default({
      files: [],
      concurrency: 2,
      retries: 0,
      timeout: '60s',
      stepTimeout: '30s',
      schedule: 'rate(5 minutes)',
      artifactRetentionDays: 31,
    }),
    load: z
      .object({
        /** Profile the gate runs. */
        default: z.string().optional(),
        profiles: z.record(name, loadProfileSchema).default({}),
      })
      .strict()
      .default({ profiles: {} }),
    experiments: z.record(name, experimentSchema).default({}),
    alarms: z.array(suiteAlarmSchema).default([]),
    /** Expectations checked by `opsproof assert` and the gate's assertion stage. */
    expectations: z.array(expectationSchema).default([]),
    drills: z.record(name, drillSchema).default({}),
    /** The run history (`opsproof history`, `report --trend`, `--baseline latest-passed`). */
    history: historySchema.optional(),
    /** Extra literal values to redact from every artifact. */
    redact: z.array(z.string().min(4)).default([]),
  })
  .strict();

/** The config as users write it (defaults optional). */
export type SuiteInput = z.input<typeof suiteSchema>;
/** The config after validation (defaults filled). */
export type Suite = z.output<typeof suiteSchema>;
export type Environment = z.output<typeof environmentSchema>;
export type Kpis = z.output<typeof kpisSchema>;
export type LoadProfile = z.output<typeof loadProfileSchema>;
export type LoadProfileInput = z.input<typeof loadProfileSchema>;
export type LoadRequest = z.output<typeof requestSchema>;
export type Experiment = z.output<typeof experimentSchema>;
export type ExperimentInput = z.input<typeof experimentSchema>;
export type ExperimentAction = z.output<typeof experimentActionSchema>;
export type ExperimentTarget = z.output<typeof experimentTargetSchema>;
export type Expectation = z.output<typeof expectationSchema>;
export type AlarmDefinition = z.output<typeof alarmSchema>;
export type AlarmDefinitionInput = z.input<typeof alarmSchema>;
/** Any alarm of the suite's `alarms`: single-metric, metric math or composite. */
export type SuiteAlarmDefinition = z.output<typeof suiteAlarmSchema>;
export type Drill = z.output<typeof drillSchema>;
export type SecretRef = z.output<typeof secretRef>;
export type CanariesConfig = z.output<typeof canariesSchema>;
export type WatchConfig = z.output<typeof watchSchema>;
