import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, test, vi } from 'vitest';
import { repoPath } from '../core/tools.ts';
import { describeTarget } from './chaos-run.ts';

// Each case spawns the CLI (tsx start-up); on a busy machine that takes seconds.
vi.setConfig({ testTimeout: 60_000 });

let closedUrl: string;
beforeAll(async () => {
  // Had anything started against this address it would have exited 3 (unreachable), not 2.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise((resolve) => closed.close(resolve));
});

function runCli(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [repoPath('bin', 'opsproof.js'), ...args], {
      cwd,
      env: { ...process.env, CI: 'true', OPSPROOF_DEBUG: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

function project(experiment: unknown, environment: Record<string, unknown> = { target: closedUrl }): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'opsproof-chaos-bad-')));
  writeFileSync(
    join(dir, 'opsproof.config.json'),
    // Test cases are built before beforeAll knows the closed port.
    JSON.stringify({
      service: 'bad-input',
      environments: { local: environment },
      experiments: { x: experiment },
    }).replaceAll('CLOSED_URL', closedUrl),
  );
  return dir;
}

const cluster = {
  resourceType: 'aws:rds:cluster',
  resourceArns: ['arn:aws:rds:eu-west-1:123456789012:cluster:orders'],
  selectionMode: 'ALL',
};

test.each([
  {
    what: 'an unknown action in a template file',
    template: {
      actions: { failover: { actionId: 'aws:rds:failover-cluster', targets: { Clusters: 'db' } } },
      targets: { db: cluster },
    },
    expected:
      /template\.actions\.failover\.actionId: unknown FIS action "aws:rds:failover-cluster"; did you mean "aws:rds:failover-db-cluster"/,
  },
  {
    what: 'a target with no resource type in a template file',
    template: {
      actions: { failover: { actionId: 'aws:rds:failover-db-cluster', targets: { Clusters: 'db' } } },
      targets: { db: { resourceArns: cluster.resourceArns, selectionMode: 'ALL' } },
    },
    expected: /targets\.db\.resourceType: /,
  },
  {
    what: 'a bad parameter in the config',
    experiment: {
      targets: {
        tasks: { resourceType: 'aws:ecs:task', resourceTags: { app: 'orders' }, selectionMode: 'ALL' },
      },
      actions: {
        loss: {
          actionId: 'aws:ecs:task-network-packet-loss',
          parameters: { duration: 'PT5M', lossPercent: '150' },
          targets: { Tasks: 'tasks' },
        },
      },
    },
    expected:
      /experiments\.x\.actions\.loss\.parameters\.lossPercent: expected a whole percentage 0–100, got "150"/,
  },
  {
    what: 'COUNT(0) in the config',
    experiment: {
      targets: { db: { ...cluster, selectionMode: 'COUNT(0)' } },
      actions: { failover: { actionId: 'aws:rds:failover-db-cluster', targets: { Clusters: 'db' } } },
    },
    expected: /experiments\.x\.targets\.db\.selectionMode: COUNT\(n\) needs n ≥ 1, got COUNT\(0\)/,
  },
  {
    what: 'a stand-in on an unknown local target',
    environment: { targets: { api: 'CLOSED_URL' } },
    experiment: {
      targets: { db: cluster },
      actions: {
        failover: {
          actionId: 'aws:rds:failover-db-cluster',
          targets: { Clusters: 'db' },
          local: { process: 'restart', target: 'database' },
        },
      },
    },
    expected:
      /experiments\.x\.actions\.failover\.local\.target: unknown target "database"; environments\.local\.targets defines "api"/,
  },
  {
    what: 'an FIS target whose localTarget the environment does not define',
    environment: { targets: { api: 'CLOSED_URL' } },
    experiment: {
      targets: { db: { ...cluster, localTarget: 'database' } },
      actions: { failover: { actionId: 'aws:rds:failover-db-cluster', targets: { Clusters: 'db' } } },
    },
    expected:
      /experiments\.x\.targets\.db\.localTarget: unknown target "database"; environments\.local\.targets defines "api"/,
  },
  {
    what: 'a process fault on a target opsproof does not start',
    environment: { targets: { api: 'CLOSED_URL', db: { readyTcp: '127.0.0.1:5432' } } },
    experiment: {
      targets: { db: { ...cluster, localTarget: 'db' } },
      actions: { failover: { actionId: 'aws:rds:failover-db-cluster', targets: { Clusters: 'db' } } },
    },
    expected:
      /experiments\.x\.targets\.db\.localTarget: aws:rds:failover-db-cluster would kill target "db", which opsproof does not start \(environments\.local\.targets\.db has no start\): there is no process to kill/,
  },
  {
    what: 'an action with no local effect in a template file',
    template: {
      actions: {
        cpu: {
          actionId: 'aws:ecs:task-cpu-stress',
          parameters: { duration: 'PT1M' },
          targets: { Tasks: 'tasks' },
        },
      },
      targets: { tasks: { resourceType: 'aws:ecs:task', resourceTags: { a: 'b' }, selectionMode: 'ALL' } },
    },
    expected:
      /✖ template\.actions\.cpu\.actionId: aws:ecs:task-cpu-stress \(stress\) has no local effect on the embedded provider/,
  },
])('`opsproof chaos run` with $what exits 2 with its path, before anything starts', async (c) => {
  const dir = project(
    c.experiment ?? { actions: { wait: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1M' } } } },
    c.environment,
  );
  if (c.template) writeFileSync(join(dir, 'template.json'), JSON.stringify(c.template));
  const run = await runCli(['chaos', 'run', c.template ? 'template.json' : 'x'], dir);
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr).toMatch(c.expected);
  expect(run.stderr).not.toMatch(/preflight|unreachable|experiment\.start|\n\s+at /);
  expect(existsSync(join(dir, 'reports'))).toBe(false);
});

test('`chaos run --dry-run` prints the local plan action by action, refused ones too, then exits 2 naming them', async () => {
  const dir = project(
    {
      localPath: '/api/*',
      targets: {
        tasks: { resourceType: 'aws:ecs:task', resourceTags: { a: 'b' }, selectionMode: 'ALL' },
        db: { ...cluster, localTarget: 'db' },
      },
      actions: {
        latency: {
          actionId: 'aws:ecs:task-network-latency',
          parameters: { duration: 'PT1M', delayMilliseconds: '300' },
          targets: { Tasks: 'tasks' },
        },
        cpu: {
          actionId: 'aws:ecs:task-cpu-stress',
          parameters: { duration: 'PT1M' },
          targets: { Tasks: 'tasks' },
        },
        failover: {
          actionId: 'aws:rds:failover-db-cluster',
          targets: { Clusters: 'db' },
          startAfter: ['latency'],
        },
        impair: {
          actionId: 'aws:ssm:start-automation-execution',
          parameters: {
            documentArn: 'arn:aws:ssm:eu-west-1:123456789012:document/Impair',
            maxDuration: 'PT2M',
          },
          local: { fault: 'blackhole:percent=100,path=/orders/*' },
        },
        runbook: {
          actionId: 'aws:ssm:start-automation-execution',
          parameters: {
            documentArn: 'arn:aws:ssm:eu-west-1:123456789012:document/Other',
            maxDuration: 'PT2M',
          },
        },
      },
    },
    {
      targets: {
        api: 'CLOSED_URL',
        db: { readyTcp: '127.0.0.1:5432', start: { command: ['node', '-e', 'setTimeout(() => {}, 1000)'] } },
      },
    },
  );
  const run = await runCli(['chaos', 'run', 'x', '--dry-run'], dir);
  expect(run.code, run.stderr).toBe(2);
  const lines = run.stderr.split('\n');
  const planAt = lines.indexOf('dry run of x on the embedded provider, action by action:');
  expect(planAt, run.stderr).toBeGreaterThanOrEqual(0);
  expect(lines.slice(planAt + 1, planAt + 6)).toEqual([
    `  latency (aws:ecs:task-network-latency): latency:ms=300,jitter=10,percent=100,path=/api/* on the fault gateway in front of api (${closedUrl}) for 60s`,
    expect.stringMatching(
      /^ {2}cpu \(aws:ecs:task-cpu-stress\): cannot run here: aws:ecs:task-cpu-stress \(stress\) has no local effect/,
    ),
    '  failover (aws:rds:failover-db-cluster): kill (SIGKILL) target db, start it again at once after latency',
    `  impair (aws:ssm:start-automation-execution): stand-in: blackhole:percent=100,path=/orders/* on the fault gateway in front of api (${closedUrl}) for 120s`,
    expect.stringMatching(
      /^ {2}runbook \(aws:ssm:start-automation-execution\): cannot run here: .* \(command\) has no local effect/,
    ),
  ]);
  expect(run.stderr).toContain(
    'error: experiment x cannot run on the embedded provider: cpu (aws:ecs:task-cpu-stress), runbook (aws:ssm:start-automation-execution) have no local effect',
  );
  expect(run.stderr).toMatch(/experiments\.x\.actions\.cpu\.actionId: /);
  expect(run.stderr).toMatch(/experiments\.x\.actions\.runbook\.actionId: /);
  expect(run.stderr).not.toMatch(/preflight|unreachable|experiment\.start|\n\s+at /);
  expect(existsSync(join(dir, 'reports'))).toBe(false);
});

test.each([
  // [name, url, started by opsproof, what the dry run says]
  [undefined, 'http://127.0.0.1:0', true, 'the target (started by opsproof on a free port)'],
  ['api', 'http://127.0.0.1:0/', true, 'api (started by opsproof on a free port)'],
  ['api', 'http://127.0.0.1:8080', true, 'api (http://127.0.0.1:8080)'],
  [undefined, 'http://127.0.0.1:0', false, 'http://127.0.0.1:0'],
  ['web', 'http://127.0.0.1:3000', false, 'web (http://127.0.0.1:3000)'],
])('a dry run names target %s at %s (started: %s) as %s', (name, url, started, expected) => {
  expect(describeTarget(name, url, started)).toBe(expected);
});
