/**
 * Everything `opsproof init` writes, built as text by pure functions: the config, canaries, load mix,
 * alarms and their unit tests. One file, over 400 lines, because the generated files must agree with
 * each other (the alarm tests name the config's alarms, the canaries its paths).
 */

import { isLoopbackHost } from '../core/loopback.ts';

/** A request the generated canaries and load mix make. */
export interface ScaffoldRequest {
  name: string;
  method: 'GET' | 'HEAD';
  path: string;
  /** Statuses that count as success; empty means 2xx and 3xx. */
  okStatuses: readonly number[];
}

export interface ScaffoldInput {
  /** Suite name (letters, digits, `.`, `_`, `-`). */
  service: string;
  /** Where it came from, for the config's description: `http://…` or `openapi.yaml`. */
  source: string;
  /** The service's origin; with `start`, a loopback URL on port 0 (a free port per run). */
  target: string;
  /** `--start` split into argv; `{port}` is replaced by the port of the run. */
  start?: readonly string[];
  readyPath: string;
  /** HTML pages: one browser canary opens each. */
  pages: readonly { path: string; title?: string }[];
  /** API requests: one API canary calls each; the load mix spreads over them. */
  requests: readonly ScaffoldRequest[];
  /** `--staging URL`: an aws environment `staging` for the deployed canaries and alarms. */
  staging?: { target: string; region: string };
}

export interface ScaffoldFile {
  /** Relative to the folder init writes into. */
  path: string;
  content: string;
  /** `append` adds to an existing file (a README) instead of creating one. */
  mode: 'create' | 'append';
}

/** Paths of what init writes, relative to its folder. */
const SCAFFOLD_PATHS = {
  config: 'opsproof.config.ts',
  apiCanary: 'opsproof/canaries/api.canary.ts',
  webCanary: 'opsproof/canaries/web.canary.ts',
  alarmTests: 'opsproof/alarms/service.alarms.yaml',
} as const;

/**
 * The generated suite's defaults. Short on purpose: a gate of a scaffolded suite (load, two
 * faults with their alarms, canaries before and after) finishes within about a minute.
 */
const SCAFFOLD_DEFAULTS = {
  /** The gate's load (open model): gentle enough for a development instance of any service. */
  steadyRate: 50,
  /** Arrivals per second while a fault runs: enough datapoints for every alarm minute. */
  loadRate: 20,
  loadDuration: '5s',
  warmup: '1s',
  faultSeconds: 5,
  /** One alarm minute passes in one second locally. */
  timeScale: 60,
} as const;

/** Every file of a suite for the service (pure: `writeScaffold` puts them on disk). */
export function buildScaffold(input: ScaffoldInput, readme: 'README.md' | 'OPSPROOF.md'): ScaffoldFile[] {
  const files: ScaffoldFile[] = [
    { path: SCAFFOLD_PATHS.config, content: buildConfig(input), mode: 'create' },
  ];
  if (input.requests.length > 0)
    files.push({ path: SCAFFOLD_PATHS.apiCanary, content: buildApiCanary(input), mode: 'create' });
  if (input.pages.length > 0)
    files.push({ path: SCAFFOLD_PATHS.webCanary, content: buildWebCanary(input), mode: 'create' });
  files.push({ path: SCAFFOLD_PATHS.alarmTests, content: buildAlarmTests(input.service), mode: 'create' });
  files.push({
    path: readme,
    content: buildReadmeSection(input, readme === 'README.md'),
    mode: readme === 'README.md' ? 'append' : 'create',
  });
  return files;
}

/** The service's CloudWatch alarms on the gateway's request metrics (API Gateway's shape). */
export function buildAlarms(service: string): Record<string, unknown>[] {
  const base = {
    Namespace: 'AWS/ApiGateway',
    Dimensions: [{ Name: 'ApiName', Value: service }],
    Period: 60,
    EvaluationPeriods: 3,
    DatapointsToAlarm: 2,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'notBreaching',
  };
  return [
    {
      AlarmName: 'HighErrorRate',
      AlarmDescription: 'More than 1 % of requests fail with a 5XX (the error-rate KPI).',
      ...base,
      MetricName: '5XXError',
      Statistic: 'Average',
      Threshold: 0.01,
    },
    {
      AlarmName: 'HighClientErrorRate',
      AlarmDescription:
        'More than 10 % of requests are refused with a 4XX: clients or a release broke a contract.',
      ...base,
      MetricName: '4XXError',
      Statistic: 'Average',
      Threshold: 0.1,
    },
    {
      AlarmName: 'HighLatencyP99',
      AlarmDescription: 'p99 latency above 1 s (the latency KPI).',
      ...base,
      MetricName: 'Latency',
      ExtendedStatistic: 'p99',
      Threshold: 1000,
    },
  ];
}

function buildConfig(input: ScaffoldInput): string {
  const { faultSeconds } = SCAFFOLD_DEFAULTS;
  const paths =
    input.requests.length > 0 ? input.requests.map((r) => r.path) : input.pages.map((p) => p.path);
  const localPath = faultPathOf(paths);
  const loadRequests = [
    ...input.requests.map((r) => ({
      name: r.name,
      method: r.method,
      path: r.path,
      ...(r.okStatuses.length > 0
        ? { expectStatus: r.okStatuses.length === 1 ? r.okStatuses[0] : r.okStatuses }
        : {}),
    })),
    ...(input.requests.length === 0
      ? input.pages.map((p) => ({ name: `page ${p.path}`, method: 'GET', path: p.path }))
      : []),
  ];
  const local: Record<string, unknown> = {
    target: input.target,
    readyPath: input.readyPath,
    ...(input.start ? { start: { command: input.start, readyPath: input.readyPath } } : {}),
    timeScale: SCAFFOLD_DEFAULTS.timeScale,
  };
  const lambdaTargets = {
    Functions: {
      resourceType: 'aws:lambda:function',
      resourceTags: { service: input.service },
      selectionMode: 'ALL',
    },
  };
  const experiment = (
    description: string,
    actionId: string,
    parameters: Record<string, string>,
    alarm: string,
  ) => ({
    description,
    targets: lambdaTargets,
    actions: { fault: { actionId, parameters, targets: { Functions: 'Functions' } } },
    load: 'background',
    localPath,
    expect: [
      { kind: 'alarm-fires', alarm, within: '15s', after: 'fault.start' },
      { kind: 'alarm-recovers', alarm, within: '20s', after: 'fault.end' },
    ],
  });
  const suite = {
    service: input.service,
    description: `Generated by opsproof init from ${input.source}.`,
    environments: {
      local,
      ...(input.staging
        ? {
            staging: {
              target: input.staging.target,
              readyPath: input.readyPath,
              provider: 'aws',
              region: input.staging.region,
              tier: 'staging',
            },
          }
        : {}),
    },
    kpis: { availability: 99.9, p99: 1000, errorRate: 0.01 },
    canaries: { files: ['opsproof/canaries/*.canary.ts'], timeout: '60s', stepTimeout: '15s' },
    load: {
      default: 'steady',
      profiles: {
        steady: {
          model: 'open',
          rate: SCAFFOLD_DEFAULTS.steadyRate,
          duration: SCAFFOLD_DEFAULTS.loadDuration,
          warmup: SCAFFOLD_DEFAULTS.warmup,
          requests: loadRequests,
        },
        background: {
          model: 'open',
          rate: SCAFFOLD_DEFAULTS.loadRate,
          duration: '60s',
          requests: loadRequests,
        },
      },
    },
    alarms: buildAlarms(input.service),
    // The local fault gateway fronts loopback targets only (runner/README.md): a remote service's
    // requests feed no request metrics, so its faults and alarm expectations could never pass.
    experiments: !isLoopbackTarget(input.target)
      ? {}
      : {
          errors: experiment(
            `Half of the requests to ${localPath} fail with a 500 for ${faultSeconds} s.`,
            'aws:lambda:invocation-error',
            { duration: `PT${faultSeconds}S`, invocationPercentage: '50', preventExecution: 'true' },
            'HighErrorRate',
          ),
          latency: experiment(
            `Every request to ${localPath} is delayed by 1.5 s for ${faultSeconds} s.`,
            'aws:lambda:invocation-add-delay',
            { duration: `PT${faultSeconds}S`, invocationPercentage: '100', startupDelayMilliseconds: '1500' },
            'HighLatencyP99',
          ),
        },
    expectations: !isLoopbackTarget(input.target)
      ? []
      : [
          { kind: 'alarm-stays-ok', alarm: 'HighErrorRate', during: 'load' },
          { kind: 'alarm-stays-ok', alarm: 'HighLatencyP99', during: 'load' },
        ],
  };
  return [
    "import { defineSuite } from 'opsproof';",
    '',
    '/**',
    ` * The operations suite of ${input.service}, written by \`opsproof init\` (${input.source}).`,
    ' * KPIs are the usual operations defaults: availability 99.9 %, p99 < 1 s, error rate < 1 %.',
    ' * The alarms watch the request metrics the local fault gateway records in front of the service',
    ` * (API Gateway's Count, 5XXError, 4XXError, Latency); ${SCAFFOLD_PATHS.alarmTests} tests them.`,
    ' * Durations are short so that `opsproof gate` finishes in about a minute; lengthen them at will.',
    ' */',
    `export default defineSuite(${formatTs(suite, 0)});`,
    '',
  ].join('\n');
}

/** Whether the target is on this machine, where the fault gateway fronts it. */
function isLoopbackTarget(target: string): boolean {
  return isLoopbackHost(new URL(target).hostname);
}

/** The fault's path glob: the longest common leading segments of the requests, or every path. */
export function faultPathOf(paths: readonly string[]): string {
  const split = paths.map((p) => p.split('?')[0]!.split('/').filter(Boolean));
  if (split.length === 0) return '/*';
  const common: string[] = [];
  for (let i = 0; ; i++) {
    const segment = split[0]![i];
    if (segment === undefined || segment.includes('{') || !split.every((s) => s[i] === segment)) break;
    common.push(segment);
  }
  if (common.length === 0) return '/*';
  // `/items*` matches `/items`, `/items/1` and `/items?x`; a longer shared prefix narrows the fault.
  return `/${common.join('/')}*`;
}

function buildApiCanary(input: ScaffoldInput): string {
  const steps = input.requests.slice(0, 10).map((r) => {
    const ok =
      r.okStatuses.length > 0
        ? `![${r.okStatuses.join(', ')}].includes(res.status)`
        : 'res.status < 200 || res.status >= 400';
    const call = r.method === 'HEAD' ? 'http.request' : 'http.get';
    const args =
      r.method === 'HEAD'
        ? `'HEAD', \`\${baseUrl}${escapeTemplate(r.path)}\``
        : `\`\${baseUrl}${escapeTemplate(r.path)}\``;
    return [
      `  await step(${quote(`${r.method} ${r.path}`)}, async () => {`,
      `    const res = await ${call}(${args});`,
      `    if (${ok}) throw new Error(\`${r.method} ${escapeTemplate(r.path)} returned \${res.status}: \${res.body.slice(0, 200)}\`);`,
      '  });',
    ].join('\n');
  });
  return [
    "import { defineCanary } from 'opsproof';",
    '',
    `/** ${input.service}'s API answers: each safe operation found by opsproof init, one step each. */`,
    "export default defineCanary({ name: 'api', type: 'api' }, async ({ http, step, baseUrl }) => {",
    steps.join('\n'),
    '});',
    '',
  ].join('\n');
}

function buildWebCanary(input: ScaffoldInput): string {
  const steps = input.pages.map((p) =>
    [
      `  await step(${quote(`open ${p.path}`)}, async () => {`,
      `    const res = await page.goto(\`\${baseUrl}${escapeTemplate(p.path)}\`);`,
      `    if (!res || res.status() >= 400) throw new Error(\`${escapeTemplate(p.path)} returned \${res?.status()}\`);`,
      "    await page.locator('body').waitFor({ state: 'visible' });",
      ...(p.title
        ? [
            `    // The title seen by opsproof init; a page without it is not the one users expect.`,
            `    const title = await page.title();`,
            `    if (!title.includes(${quote(p.title)})) throw new Error(\`the page title is "\${title}", expected ${escapeTemplate(JSON.stringify(p.title))}\`);`,
          ]
        : []),
      '  });',
    ].join('\n'),
  );
  return [
    "import { defineCanary } from 'opsproof';",
    '',
    `/** ${input.service}'s web pages load in a browser, as opsproof init found them. */`,
    "export default defineCanary({ name: 'web', type: 'browser' }, async ({ page, step, baseUrl }) => {",
    steps.join('\n'),
    '});',
    '',
  ].join('\n');
}

/** Alarm unit tests of {@link buildAlarms}: each fires on two bad minutes of three and not on good ones. */
export function buildAlarmTests(service: string): string {
  const alarms = buildAlarms(service);
  const metric = (name: string) =>
    `{ Namespace: AWS/ApiGateway, MetricName: ${quoteYaml(name)}, Dimensions: { ApiName: ${quoteYaml(service)} } }`;
  const lines = [
    `# Offline unit tests of ${service}'s alarms: \`opsproof alarms test ${SCAFFOLD_PATHS.alarmTests}\`.`,
    '# The alarms are those of opsproof.config.ts; keep both in step when you change one.',
    'alarms:',
    ...alarms.flatMap((a) => ['  -', ...Object.entries(a).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)]),
    'tests:',
    '  - name: half the requests failing for two minutes fires HighErrorRate',
    '    interval: 1m',
    '    series:',
    `      - metric: ${metric('5XXError')}`,
    '        values: "0 0 0.5 0.5 0 0 0 0"',
    '    expect:',
    '      - { at: 1m, alarm: HighErrorRate, state: OK }',
    '      - { at: 4m, alarm: HighErrorRate, state: ALARM }',
    '      - { at: 7m, alarm: HighErrorRate, state: OK }',
    '  - name: one failing minute alone does not fire HighErrorRate',
    '    interval: 1m',
    '    series:',
    `      - metric: ${metric('5XXError')}`,
    '        values: "0 0.5 0 0 0.5 0"',
    '    expect:',
    '      - { at: 5m, alarm: HighErrorRate, state: OK }',
    '  - name: a quarter of requests refused fires HighClientErrorRate',
    '    interval: 1m',
    '    series:',
    `      - metric: ${metric('4XXError')}`,
    '        values: "0 0.25 0.25 0.25"',
    '    expect:',
    '      - { at: 0m, alarm: HighClientErrorRate, state: OK }',
    '      - { at: 3m, alarm: HighClientErrorRate, state: ALARM }',
    '  - name: p99 above 1 s for two minutes fires HighLatencyP99, 200 ms does not',
    '    interval: 1m',
    '    series:',
    `      - metric: ${metric('Latency')}`,
    '        values: "200 200 1500 1500 200 200 200 200"',
    '    expect:',
    '      - { at: 1m, alarm: HighLatencyP99, state: OK }',
    '      - { at: 4m, alarm: HighLatencyP99, state: ALARM }',
    '      - { at: 7m, alarm: HighLatencyP99, state: OK }',
    '',
  ];
  return lines.join('\n');
}

function buildReadmeSection(input: ScaffoldInput, appended: boolean): string {
  const start = input.start
    ? `opsproof starts the service itself (\`${input.start.join(' ')}\`, \`{port}\` is a free port) and stops it after.`
    : `The service must already run at ${input.target}.`;
  return [
    ...(appended ? [''] : []),
    `## Operations checks (opsproof)`,
    '',
    `\`opsproof init\` wrote this suite from ${input.source}. ${start}`,
    '',
    '```sh',
    'npx opsproof check            # validates the config, canaries, experiments and alarm tests; touches nothing',
    `npx opsproof alarms test ${SCAFFOLD_PATHS.alarmTests}`,
    'npx opsproof gate             # canaries, load against the KPIs, faults with their alarms; exit 0 when all pass',
    '```',
    '',
    `- \`${SCAFFOLD_PATHS.config}\`: target, KPIs (availability 99.9 %, p99 < 1 s, error rate < 1 %), load mix, alarms, fault experiments.`,
    ...(input.requests.length > 0
      ? [`- \`${SCAFFOLD_PATHS.apiCanary}\`: one step per safe (GET/HEAD) operation found.`]
      : []),
    ...(input.pages.length > 0
      ? [`- \`${SCAFFOLD_PATHS.webCanary}\`: opens the web pages in Chromium.`]
      : []),
    `- \`${SCAFFOLD_PATHS.alarmTests}\`: offline unit tests of the alarms.`,
    '',
    ...(input.staging
      ? [
          `The \`staging\` environment (${input.staging.target}, ${input.staging.region}) is for AWS: the CDK app deploys`,
          'the canaries (CloudWatch Synthetics) and the alarms there.',
          '',
          '```sh',
          'npx opsproof synth --env staging   # cdk.out/<Service>-Staging.template.json; needs no credentials',
          'npx opsproof diff --env staging    # against the deployed stack',
          '```',
          '',
          "FIS runs an action for at least a minute: give the experiments `duration: 'PT1M'` before running them",
          'through FIS (`opsproof chaos run --env staging`).',
          '',
        ]
      : []),
    ...(isLoopbackTarget(input.target)
      ? []
      : [
          'The service is not on this machine, so the suite has no fault experiments: the local fault gateway',
          'fronts loopback targets only. Run init with `--start` against a local copy to get them.',
          '',
        ]),
    'Generated durations are short (5 s of load, 5 s faults, one alarm minute per second locally) so a gate',
    'takes about a minute; lengthen them before trusting the numbers.',
    '',
  ].join('\n');
}

/** A config value as TypeScript source: identifier keys unquoted, single-quoted strings. */
export function formatTs(value: unknown, indent: number): string {
  const pad = '  '.repeat(indent + 1);
  const end = '  '.repeat(indent);
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => typeof v !== 'object'))
      return `[${value.map((v) => formatTs(v, indent)).join(', ')}]`;
    return `[\n${value.map((v) => `${pad}${formatTs(v, indent + 1)},`).join('\n')}\n${end}]`;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const key = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : quote(k));
    return `{\n${entries.map(([k, v]) => `${pad}${key(k)}: ${formatTs(v, indent + 1)},`).join('\n')}\n${end}}`;
  }
  return 'undefined';
}

function quote(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'").replaceAll('\n', '\\n')}'`;
}

function quoteYaml(text: string): string {
  return JSON.stringify(text);
}

/** Text placed inside a template literal, with its own backticks and `${` kept literal. */
function escapeTemplate(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('`', '\\`').replaceAll('${', '\\${');
}
