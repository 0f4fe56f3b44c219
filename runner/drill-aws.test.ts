import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { FisClient, ListExperimentsCommand } from '@aws-sdk/client-fis';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { RunResult } from '../core/run-result.ts';
import { repoPath, requireTool } from '../core/tools.ts';
import { type DemoServer, startDemoServer } from '../demo/server.ts';
import { type MotoServer, startMotoServer } from '../telemetry/aws/start-moto-server.ts';
import { startAlarmActionStandIn } from './alarm-action-stand-in.ts';

// The aws drills end to end: `opsproof drill` as a child process against moto (CloudWatch, SNS, SQS,
// FIS). Each drill takes ≈ 10 s: FIS in moto moves a state a second, the fault lasts 3 s.
vi.setConfig({ testTimeout: 30_000 });

const moto = requireTool('moto_server');
const region = 'eu-west-1';
const account = '123456789012';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const prefix = 'opsproof-demo-drill-';
let server: MotoServer | undefined;
let demo: DemoServer | undefined;
let cloudwatch: CloudWatchClient;
let sns: SNSClient;
let fis: FisClient;
let configPath = '';
let actionStandIn: ReturnType<typeof startAlarmActionStandIn> | undefined;
let evaluationStandIn: { stop(): Promise<void> } | undefined;

/** Which alarm the fault of each experiment breaches (what CloudWatch would see in the metrics). */
const BREACHES: Record<string, string> = { 'api-errors': 'HighErrorRate', 'task-stop': 'TasksDown' };
const EXPERIMENT_TAG = 'opsproof:experiment';

/** How long FIS experiments in moto stay in each state (moto's state manager, time progression). */
async function setFisStepSeconds(seconds: number): Promise<void> {
  const res = await fetch(`${server!.endpoint}/moto-api/state-manager/set-transition`, {
    method: 'POST',
    body: JSON.stringify({ model_name: 'fis::experiment', transition: { progression: 'time', seconds } }),
  });
  if (!res.ok) throw new Error(`moto set-transition answered ${res.status}`);
}

/**
 * Stand-in for CloudWatch evaluating the metric the real fault breaches: moto runs the FIS experiment
 * but neither injects the fault nor evaluates alarms. 2 s after an experiment is running the breached
 * alarm goes to ALARM, 2 s after it completed back to OK — a one-period alarm on a fault the size of
 * the experiment. (The drill reads FIS once a second, so it has seen the fault start before.)
 */
function startEvaluationStandIn(): { stop(): Promise<void> } {
  const seen = new Map<string, string>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const later = (ms: number, alarm: string, state: 'ALARM' | 'OK') => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      void cloudwatch.send(
        new SetAlarmStateCommand({
          AlarmName: `${prefix}${alarm}`,
          StateValue: state,
          StateReason: `test stand-in for CloudWatch's evaluation: the fault ${state === 'ALARM' ? 'breaches' : 'no longer breaches'} the threshold`,
        }),
      );
    }, ms);
    timers.add(timer);
  };
  const loop = (async () => {
    while (!stopped) {
      const res = await fis.send(new ListExperimentsCommand({})).catch(() => undefined);
      for (const e of res?.experiments ?? []) {
        const status = e.state?.status ?? '';
        const alarm = BREACHES[e.tags?.[EXPERIMENT_TAG] ?? ''];
        if (!alarm || seen.get(e.id!) === status) continue;
        seen.set(e.id!, status);
        if (status === 'running') {
          await setFisStepSeconds(3);
          later(2000, alarm, 'ALARM');
        }
        if (status === 'completed') {
          await setFisStepSeconds(1);
          later(2000, alarm, 'OK');
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await loop;
    },
  };
}

function suiteSource(target: string): string {
  const alarm = (name: string, severity: string) => ({
    AlarmName: name,
    Namespace: 'AWS/ApiGateway',
    MetricName: '5XXError',
    Dimensions: [{ Name: 'ApiName', Value: 'opsproof-demo' }],
    Statistic: 'Average',
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 0.05,
    ComparisonOperator: 'GreaterThanThreshold',
    severity,
    ...(name === 'HighErrorRate' ? { runbook: 'https://runbooks.example.com/high-error-rate' } : {}),
  });
  const suite = {
    service: 'opsproof-demo',
    environments: {
      drill: { target, provider: 'aws', region, aws: { alarmPrefix: prefix, accountId: account } },
    },
    load: {
      profiles: {
        background: {
          model: 'open',
          engine: 'open',
          rate: 5,
          duration: '60s',
          requests: [{ name: 'list', method: 'GET', path: '/api/measurements' }],
        },
      },
    },
    alarms: [
      alarm('HighErrorRate', 'critical'),
      alarm('TasksDown', 'critical'),
      alarm('NotDeployed', 'warning'),
    ],
    experiments: {
      'api-errors': {
        targets: {
          Functions: {
            resourceType: 'aws:lambda:function',
            resourceArns: [`arn:aws:lambda:${region}:${account}:function:opsproof-demo-api`],
            selectionMode: 'ALL',
          },
        },
        actions: {
          errors: {
            actionId: 'aws:lambda:invocation-error',
            parameters: { duration: 'PT5S', invocationPercentage: '30', preventExecution: 'true' },
            targets: { Functions: 'Functions' },
          },
        },
        stopConditions: [{ source: 'none' }],
      },
      'task-stop': {
        targets: {
          Tasks: {
            resourceType: 'aws:ecs:task',
            resourceArns: [`arn:aws:ecs:${region}:${account}:task/opsproof-demo/0123456789abcdef`],
            selectionMode: 'ALL',
          },
        },
        actions: { stop: { actionId: 'aws:ecs:stop-task', targets: { Tasks: 'Tasks' } } },
        stopConditions: [{ source: 'none' }],
      },
    },
    drills: {
      alert: {
        kind: 'alert',
        experiment: 'api-errors',
        alarm: 'HighErrorRate',
        alarmWithin: '10s',
        recoverWithin: '10s',
        load: 'background',
      },
      'alert-undeployed': {
        kind: 'alert',
        experiment: 'api-errors',
        alarm: 'NotDeployed',
        alarmWithin: '10s',
        recoverWithin: '10s',
      },
      dr: {
        kind: 'dr',
        experiment: 'task-stop',
        rto: '15s',
        detectWithin: '10s',
        detectBy: { alarm: 'TasksDown' },
        load: 'background',
      },
    },
  };
  return `import { defineSuite } from 'opsproof';\nexport default defineSuite(${JSON.stringify(suite, null, 2)});\n`;
}

function drill(name: string): Promise<{ code: number | null; stderr: string; out: string }> {
  const out = mkdtempSync(join(tmpdir(), `opsproof-aws-drill-${name}-`));
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [repoPath('bin', 'opsproof.js'), 'drill', name, '--env', 'drill', '--config', configPath, '--out', out],
      {
        cwd: repoPath(),
        env: {
          ...process.env,
          CI: 'true',
          // report.png (Chromium) is tested elsewhere and would double the run time.
          OPSPROOF_SCREENSHOT: '0',
          AWS_ENDPOINT_URL: server!.endpoint,
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          AWS_REGION: region,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGINT'), 28_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, out });
    });
  });
}

const read = (out: string) => ({
  result: JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult,
  markdown: readFileSync(join(out, 'drill.md'), 'utf8'),
});

describe.skipIf(moto.skip)('aws drills against moto', () => {
  const topics: Record<string, string> = {};
  beforeAll(async () => {
    server = await startMotoServer(moto.path!);
    const config = { region, endpoint: server.endpoint, credentials };
    cloudwatch = new CloudWatchClient(config);
    sns = new SNSClient(config);
    fis = new FisClient(config);
    // As infra deploys them: one topic per severity, `<service>-<env>-<severity>`, and the suite's
    // alarms (prefixed) with their severity's topic as AlarmActions and OKActions.
    for (const severity of ['critical', 'warning', 'info']) {
      topics[severity] = (await sns.send(new CreateTopicCommand({ Name: `opsproof-demo-drill-${severity}` })))
        .TopicArn!;
    }
    for (const name of ['HighErrorRate', 'TasksDown']) {
      await cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: `${prefix}${name}`,
          Namespace: 'AWS/ApiGateway',
          MetricName: '5XXError',
          Dimensions: [{ Name: 'ApiName', Value: 'opsproof-demo' }],
          Statistic: 'Average',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 0.05,
          ComparisonOperator: 'GreaterThanThreshold',
          AlarmActions: [topics.critical!],
          OKActions: [topics.critical!],
        }),
      );
    }
    // FIS in moto: pending → initiating → running one state a second; the evaluation stand-in holds
    // `running` (the fault) for 3 s.
    await setFisStepSeconds(1);
    demo = await startDemoServer({ port: 0, host: '127.0.0.1', log: () => {} });
    const dir = mkdtempSync(join(tmpdir(), 'opsproof-aws-drill-config-'));
    configPath = join(dir, 'opsproof.config.ts');
    writeFileSync(configPath, suiteSource(demo.url));
    actionStandIn = startAlarmActionStandIn(cloudwatch, sns);
    evaluationStandIn = startEvaluationStandIn();
  }, 30_000);
  afterAll(async () => {
    await evaluationStandIn?.stop();
    await actionStandIn?.stop();
    await demo?.close();
    await server?.close();
  });

  test('drill alert: routing through the critical topic, the FIS fault, time to alarm, notification and recovery', async () => {
    const run = await drill('alert');
    expect(run.code, run.stderr).toBe(0);
    const { result, markdown } = read(run.out);
    const report = result.drill!;
    expect(report).toMatchObject({
      name: 'alert',
      kind: 'alert',
      alarm: 'HighErrorRate',
      experiment: 'api-errors',
    });
    expect(result.experiments?.[0]).toMatchObject({ engine: 'fis', status: 'completed' });
    expect(report.timeToAlarmMs).toBeGreaterThan(0);
    expect(report.timeToRecoverMs).toBeGreaterThan(report.timeToAlarmMs!);
    // Delivered to the queue (SQS SentTimestamp) when the alarm fired, before it recovered. Against
    // moto the time to alarm is the first state poll (every 250 ms) that reads ALARM, so the
    // delivery may be stamped up to one poll before it.
    expect(report.timeToNotifyMs).toBeGreaterThan(report.timeToAlarmMs! - 500);
    expect(report.timeToNotifyMs).toBeLessThan(report.timeToRecoverMs!);
    expect(result.checks.map((c) => [c.id, c.status])).toEqual([
      ['health:ready', 'passed'],
      ['drill:alert:experiment', 'passed'],
      ['drill:alert:alarm', 'passed'],
      ['drill:routing:HighErrorRate', 'passed'],
      ['drill:alert:notification', 'passed'],
      ['drill:alert:recover', 'passed'],
    ]);
    expect(result.checks.find((c) => c.id === 'drill:routing:HighErrorRate')?.message).toContain(
      topics.critical,
    );
    expect(report.notifications).toContainEqual(
      expect.objectContaining({
        alarm: 'HighErrorRate',
        state: 'ALARM',
        severity: 'critical',
        route: topics.critical,
      }),
    );
    expect(report.notifications).toContainEqual(expect.objectContaining({ state: 'OK' }));
    expect(report.runbooks).toEqual([
      { alarm: 'HighErrorRate', runbook: 'https://runbooks.example.com/high-error-rate' },
    ]);
    expect(markdown).toMatch(/- Detection: \S+ \(\+[\d.]+m?s\) — alarm HighErrorRate entered ALARM/);
    expect(markdown).toMatch(/- Resolution: \S+ \(\+[\d.]+m?s\) — alarm HighErrorRate returned to OK/);
  });

  test('drill alert on an alarm that is not deployed stops before any fault (exit 3)', async () => {
    const run = await drill('alert-undeployed');
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain('alarm opsproof-demo-drill-NotDeployed is not deployed in eu-west-1');
    const started = (await fis.send(new ListExperimentsCommand({}))).experiments ?? [];
    expect(started.filter((e) => e.tags?.[EXPERIMENT_TAG] === 'api-errors')).toHaveLength(1);
  });

  test('drill dr: aws:ecs:stop-task through FIS, detected by the alarm, recovered within the RTO', async () => {
    const run = await drill('dr');
    expect(run.code, run.stderr).toBe(0);
    const { result, markdown } = read(run.out);
    const report = result.drill!;
    expect(report).toMatchObject({
      name: 'dr',
      kind: 'dr',
      experiment: 'task-stop',
      alarm: 'TasksDown',
      objectiveMs: 15_000,
    });
    expect(result.experiments?.[0]).toMatchObject({ engine: 'fis', status: 'completed' });
    expect(result.experiments?.[0]?.activities).toMatchObject([
      { actionId: 'aws:ecs:stop-task', status: 'succeeded' },
    ]);
    expect(report.timeToDetectMs).toBeGreaterThan(0);
    expect(report.timeToRecoverMs).toBeGreaterThan(0);
    expect(result.checks.map((c) => [c.id, c.status])).toEqual([
      ['health:ready', 'passed'],
      ['drill:dr:experiment', 'passed'],
      ['drill:dr:detect', 'passed'],
      ['drill:dr:rto', 'passed'],
    ]);
    expect(markdown).toMatch(/- Detection: \S+ \(\+[\d.]+m?s\) — alarm TasksDown entered ALARM/);
  });
});
