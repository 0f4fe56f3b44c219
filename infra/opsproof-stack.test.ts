import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, test } from 'vitest';
import { buildAlarmCoverage } from '../assertions/alarm-tests/build-alarm-test-result.ts';
import { loadAlarmTestFile } from '../assertions/alarm-tests/load-alarm-tests.ts';
import { runAlarmTestFile } from '../assertions/alarm-tests/run-alarm-tests.ts';
import { loadCanaries } from '../canaries/load-canaries.ts';
import { packageCanaries } from '../canaries/package-canaries.ts';
import { loadSuite } from '../core/load-config.ts';
import type { Suite } from '../core/schema.ts';
import { isCompositeAlarm, isMathAlarm } from '../core/suite-alarms.ts';
import { type AlarmRuleNode, parseAlarmRule } from '../telemetry/composite-alarm.ts';
import { iamStatements } from '../test-support/infra-fixtures.ts';
import { awsEnvironmentNames, createOpsproofApp, stackName } from './create-app.ts';
import { buildDeployedAlarmTestFile } from './deployed-alarm-tests.ts';
import { PINNED_CANARY_RUNTIME } from './synthetics-canaries.ts';

const root = resolve(import.meta.dirname, '..');

// The demo suite, synthesized once for the whole file.
let suite: Suite;
let canaryNames: string[];
let outdir: string;
let dir: string;
const templates = new Map<string, Template>();

beforeAll(async () => {
  const loaded = await loadSuite({ cwd: root });
  suite = loaded.suite;
  const found = await loadCanaries(loaded);
  canaryNames = found.canaries.map((c) => c.definition.options.name);
  dir = mkdtempSync(join(tmpdir(), 'opsproof-infra-'));
  // The real packager: the stacks deploy exactly the zips `opsproof canary package` builds.
  const packaged = await packageCanaries({ loaded, outDir: join(dir, 'canary-packages') });
  outdir = join(dir, 'cdk.out');
  const { app, stacks } = createOpsproofApp({ suite, canaries: packaged, outdir });
  // Throws when cdk-nag (a CDK validation plugin) reports an unacknowledged finding.
  const assembly = app.synth();
  for (const stack of stacks) {
    templates.set(stack.stackName, Template.fromJSON(assembly.getStackByName(stack.stackName).template));
  }
});

const demoStacks = ['OpsproofDemo-Staging', 'OpsproofDemo-Prod'];

test('one stack per aws environment, named after service and environment', () => {
  expect(awsEnvironmentNames(suite)).toEqual(['staging', 'prod']);
  expect([...templates.keys()]).toEqual(demoStacks);
  expect(stackName('opsproof-demo', 'staging')).toBe('OpsproofDemo-Staging');
  for (const name of demoStacks) expect(existsSync(join(outdir, `${name}.template.json`))).toBe(true);
});

describe.each(demoStacks)('%s', (name) => {
  const template = () => templates.get(name) as Template;

  test('one Playwright Synthetics canary per suite canary, every five minutes', () => {
    expect(canaryNames.length).toBeGreaterThan(0);
    template().resourceCountIs('AWS::Synthetics::Canary', canaryNames.length);
    for (const canary of canaryNames) {
      template().hasResourceProperties('AWS::Synthetics::Canary', {
        Name: `demo-${canary}`,
        RuntimeVersion: PINNED_CANARY_RUNTIME.name,
        Schedule: { Expression: 'rate(5 minutes)' },
        RunConfig: { TimeoutInSeconds: 60, MemoryInMB: 1024 },
      });
    }
  });

  test('the artifacts bucket is encrypted, private, TLS-only and expires artifacts', () => {
    template().hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'expire-canary-artifacts',
            ExpirationInDays: suite.canaries.artifactRetentionDays,
            Status: 'Enabled',
          },
          {},
        ],
      },
    });
    const policies = template().findResources('AWS::S3::BucketPolicy');
    const denies = Object.values(policies).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as { Effect: string; Condition?: unknown }[]).filter(
        (s) => s.Effect === 'Deny' && JSON.stringify(s.Condition).includes('aws:SecureTransport'),
      ),
    );
    expect(denies.length).toBe(Object.keys(policies).length);
  });

  test('one FIS experiment template per experiment, each with an alarm stop condition', () => {
    const experiments = Object.keys(suite.experiments);
    template().resourceCountIs('AWS::FIS::ExperimentTemplate', experiments.length);
    const found = template().findResources('AWS::FIS::ExperimentTemplate');
    for (const resource of Object.values(found)) {
      const stops = resource.Properties.StopConditions as { Source: string; Value: unknown }[];
      expect(stops.some((s) => s.Source === 'aws:cloudwatch:alarm')).toBe(true);
      expect(resource.Properties.LogConfiguration.LogSchemaVersion).toBe(2);
    }
    expect(
      Object.values(found)
        .map((r) => r.Properties.Tags.Name)
        .sort(),
    ).toEqual([...experiments].sort());
  });

  test('stop conditions point at the configured, independent alarms', () => {
    const byName = Object.fromEntries(
      Object.values(template().findResources('AWS::FIS::ExperimentTemplate')).map((r) => [
        r.Properties.Tags.Name,
        JSON.stringify(r.Properties.StopConditions),
      ]),
    );
    expect(byName['api-latency']).toContain('HighErrorRate');
    expect(byName['api-errors']).toContain('CanaryFailing');
    expect(byName['process-kill']).toContain('HighLatencyP99');
  });

  test('an SNS topic per severity, encrypted and TLS-only', () => {
    template().resourceCountIs('AWS::SNS::Topic', 3);
    for (const severity of ['critical', 'warning', 'info']) {
      template().hasResourceProperties('AWS::SNS::Topic', {
        TopicName: `opsproof-demo-${name.endsWith('Prod') ? 'prod' : 'staging'}-${severity}`,
        KmsMasterKeyId: {},
      });
    }
  });

  test('suite alarms are deployed under the environment prefix with their own properties', () => {
    const prefix = name.endsWith('Prod') ? 'opsproof-demo-prod-' : 'opsproof-demo-staging-';
    template().hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${prefix}HighErrorRate`,
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Statistic: 'Average',
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Threshold: 0.05,
      TreatMissingData: 'notBreaching',
    });
    template().hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${prefix}HighLatencyP99`,
      ExtendedStatistic: 'p99',
    });
    // The suite's canary alarm watches the deployed (prefixed) canary.
    template().hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${prefix}CanaryFailing`,
      Dimensions: [{ Name: 'CanaryName', Value: 'demo-api-roundtrip' }],
    });
    template().hasResourceProperties('AWS::CloudWatch::CompositeAlarm', {
      AlarmName: `${prefix}ServiceDown`,
    });
    template().resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  test('no IAM statement allows every action or every action of a service', () => {
    const json = template().toJSON() as Parameters<typeof iamStatements>[0];
    const statements = iamStatements(json);
    expect(statements.length).toBeGreaterThan(0);
    for (const { owner, statement } of statements) {
      const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
      for (const action of actions) {
        expect(action, owner).not.toBe('*');
        expect(action, owner).not.toMatch(/^[a-z0-9-]+:\*$/);
      }
    }
  });
});

test('cdk-nag reports no unacknowledged finding', () => {
  const report = join(outdir, 'validation-report.json');
  if (existsSync(report)) {
    const parsed = JSON.parse(readFileSync(report, 'utf8')) as { pluginReports: { conclusion: string }[] };
    expect(parsed.pluginReports.every((r) => r.conclusion === 'success')).toBe(true);
  }
  // Synthesis itself throws on a failed validation (see beforeAll); reaching here means it passed.
  expect(templates.size).toBe(2);
});

test('snapshot of the staging stack (asset hashes scrubbed)', () => {
  const json = JSON.stringify(templates.get('OpsproofDemo-Staging')?.toJSON(), null, 2).replace(
    /[0-9a-f]{64}/g,
    '[asset-hash]',
  );
  expect(json).toMatchSnapshot();
});

describe.each([
  ['OpsproofDemo-Staging', 'opsproof-demo-staging-'],
  ['OpsproofDemo-Prod', 'opsproof-demo-prod-'],
])('the demo alarm unit tests pass against the synthesized %s alarms', (stack, alarmPrefix) => {
  test('every test of demo/alarms/demo.alarms.yaml', async () => {
    const source = readFileSync(join(root, 'demo/alarms/demo.alarms.yaml'), 'utf8');
    const file = join(dir, `${stack}.alarms.yaml`);
    writeFileSync(
      file,
      buildDeployedAlarmTestFile(source, {
        template: join(outdir, `${stack}.template.json`),
        alarmPrefix,
        canaryPrefix: 'demo-',
        canaryNames,
      }),
    );
    const loaded = await loadAlarmTestFile(file);
    // Only the template's alarms: nothing copied by hand.
    for (const name of loaded.alarms.keys()) expect(name.startsWith(alarmPrefix)).toBe(true);
    const results = runAlarmTestFile(loaded);
    expect(results.length).toBeGreaterThan(0);
    expect(results.filter((r) => !r.passed).map((r) => r.test)).toEqual([]);
  });
});

describe.each([
  ['OpsproofDemo-Staging', 'opsproof-demo-staging-'],
  ['OpsproofDemo-Prod', 'opsproof-demo-prod-'],
])('every alarm %s deploys is tested', (stack, alarmPrefix) => {
  test('demo.alarms.yaml and deployed.alarms.yaml pass and name every alarm of the template (the canary alarms and the ServiceDown composite too)', async () => {
    const loaded = [];
    for (const name of ['demo.alarms.yaml', 'deployed.alarms.yaml']) {
      const file = join(dir, `${stack}.${name}`);
      writeFileSync(
        file,
        buildDeployedAlarmTestFile(readFileSync(join(root, 'demo/alarms', name), 'utf8'), {
          template: join(outdir, `${stack}.template.json`),
          alarmPrefix,
          canaryPrefix: 'demo-',
          canaryNames,
        }),
      );
      loaded.push(await loadAlarmTestFile(file));
    }
    const failed = loaded.flatMap((f) => runAlarmTestFile(f)).filter((r) => !r.passed);
    expect(failed.map((r) => [r.test, r.expectations.filter((e) => !e.passed)])).toEqual([]);
    const coverage = buildAlarmCoverage(loaded);
    expect(coverage.templateAlarms).toContain(`${alarmPrefix}ServiceDown`);
    expect(coverage.untested).toEqual([]);

    // The same two files through the CLI, as CI runs them: `--require-coverage` passes (exit 0).
    const out = join(dir, `${stack}.alarms-run`);
    const run = spawnSync(
      process.execPath,
      [
        join(root, 'bin/opsproof.js'),
        'alarms',
        'test',
        ...loaded.map((f) => f.file),
        '--require-coverage',
        '--out',
        out,
      ],
      { cwd: root, encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as {
      status: string;
      checks: { id: string; status: string; measured: unknown }[];
    };
    expect(result.status).toBe('passed');
    const total = coverage.templateAlarms.length;
    expect(result.checks.find((c) => c.id === 'alarm-test:coverage')).toMatchObject({
      status: 'passed',
      measured: `${total}/${total}`,
    });
  }, 90_000);
});

test('the local gate evaluates the same alarm definitions the Staging template deploys', async () => {
  // The embedded provider evaluates the suite's alarms (telemetry/create-telemetry.ts); the stack
  // deploys them through the alarm factory — single-metric, metric math (Metrics) and composite
  // (AlarmRule) alike. Loaded back from the template by the alarm-test loader (what any evaluation
  // sees), they must be the same alarms: only the name prefix, the description and the deployed
  // canary name differ.
  const prefix = 'opsproof-demo-staging-';
  const file = join(dir, 'gate-vs-staging.alarms.yaml');
  writeFileSync(
    file,
    `templates: [${JSON.stringify(join(outdir, 'OpsproofDemo-Staging.template.json'))}]\ntests:\n  - name: load\n    expect: [{ at: 0m, alarm: ${prefix}HighErrorRate, state: INSUFFICIENT_DATA }]\n`,
  );
  const deployed = (await loadAlarmTestFile(file)).alarms;
  const gateAlarms = new Set([
    ...suite.expectations.flatMap((e) => ('alarm' in e ? [e.alarm] : [])),
    ...Object.values(suite.experiments).flatMap((x) =>
      x.expect.flatMap((e) => ('alarm' in e ? [e.alarm] : [])),
    ),
  ]);
  expect(gateAlarms.size).toBeGreaterThan(0);
  for (const name of gateAlarms) expect(suite.alarms.map((a) => a.AlarmName)).toContain(name);
  // The demo gate runs at least one math and one composite alarm check.
  expect([...gateAlarms].some((n) => suite.alarms.find((a) => a.AlarmName === n && isMathAlarm(a)))).toBe(
    true,
  );
  expect(
    [...gateAlarms].some((n) => suite.alarms.find((a) => a.AlarmName === n && isCompositeAlarm(a))),
  ).toBe(true);
  const withoutDocs = <T extends object>(alarm: T) => {
    const {
      AlarmName: _n,
      AlarmDescription: _d,
      severity: _s,
      runbook: _r,
      ...rest
    } = alarm as T & {
      AlarmName?: string;
      AlarmDescription?: string;
      severity?: string;
      runbook?: string;
    };
    return rest;
  };
  for (const alarm of suite.alarms) {
    const loaded = deployed.get(`${prefix}${alarm.AlarmName}`);
    if (isCompositeAlarm(alarm)) {
      expect(loaded && 'composite' in loaded, alarm.AlarmName).toBe(true);
      const { composite, rule } = loaded as { composite: typeof alarm; rule: AlarmRuleNode };
      expect(withoutDocs({ ...composite, AlarmRule: '' })).toEqual(withoutDocs({ ...alarm, AlarmRule: '' }));
      // The deployed rule is the suite's, naming the prefixed alarms.
      const unprefixed = JSON.parse(JSON.stringify(rule).replaceAll(`"alarm":"${prefix}`, '"alarm":"'));
      expect(unprefixed, alarm.AlarmName).toEqual(parseAlarmRule(alarm.AlarmRule));
      continue;
    }
    if (isMathAlarm(alarm)) {
      expect(loaded && 'math' in loaded, alarm.AlarmName).toBe(true);
      expect(withoutDocs((loaded as { math: typeof alarm }).math), alarm.AlarmName).toEqual({
        ...withoutDocs(alarm),
        DatapointsToAlarm: alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods,
      });
      continue;
    }
    expect(loaded && 'definition' in loaded, alarm.AlarmName).toBe(true);
    const deployedProps = withoutDocs((loaded as { definition: typeof alarm }).definition);
    const gateProps = withoutDocs(alarm);
    const dimensions = gateProps.Dimensions?.map((d) =>
      d.Name === 'CanaryName' && canaryNames.includes(d.Value) ? { ...d, Value: `demo-${d.Value}` } : d,
    );
    expect(deployedProps, alarm.AlarmName).toEqual({
      ...gateProps,
      ...(dimensions ? { Dimensions: dimensions } : {}),
      DatapointsToAlarm: gateProps.DatapointsToAlarm ?? gateProps.EvaluationPeriods,
    });
  }
});
