import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { Experiment } from '../core/schema.ts';
import { buildFisTemplateInput } from './build-fis-template.ts';
import {
  formatLocalPlan,
  type LocalStep,
  planLocalExperiment,
  type RefusedAction,
} from './build-local-plan.ts';
import { findFisAction } from './fis-catalog.ts';
import { loadFisTemplate } from './load-fis-template.ts';

// Issue 22's acceptance: the templates written from AWS's FIS documentation, one per service family.
const fixtureDir = fileURLToPath(new URL('./fixtures/fis-templates/', import.meta.url));
const defaultTarget = 'api';

/** A step in a few words: its effect, its target and how long it lasts. */
function summary(entry: LocalStep | RefusedAction): string {
  if ('reason' in entry) return 'refused';
  const lasting = entry.durationMs > 0 ? ` ${entry.durationMs / 1000}s` : '';
  switch (entry.effect.kind) {
    case 'fault':
      return `${entry.effect.spec}${lasting}`;
    case 'process':
      return `${entry.effect.op} ${entry.effect.target}${lasting}`;
    case 'command':
      return `run ${entry.effect.run.join(' ')}${lasting}`;
    case 'wait':
      return `wait${lasting}`;
    case 'assert-alarms':
      return `assert ${entry.effect.alarms.join(',')} ${entry.effect.states.join('|')}`;
  }
}

const expected: Record<string, Record<string, string>> = {
  'data-stores': {
    throughput: 'refused',
    iterator: 'refused',
    connections: 'refused',
    replication: 'refused',
  },
  directconnect: {
    disconnect: 'blackhole:percent=100,path=/* 600s',
    shift: 'refused',
    throttle: 'refused',
  },
  dynamodb: { pause: 'refused', lagAlarm: 'assert ReplicationLatency OK|ALARM' },
  ebs: { pause: 'refused', latency: 'refused' },
  ec2: {
    StopInstances: 'stop api 120s',
    Terminate: 'kill api',
    Reboot: 'stop api',
    Spot: 'kill api',
    NoCapacity: 'refused',
  },
  ecs: {
    stop: 'kill api',
    latency: 'latency:ms=300,jitter=50,percent=100,path=/* 300s',
    loss: 'blackhole:percent=20,path=/* 300s',
    cpu: 'refused',
    blackhole: 'blackhole:percent=100,path=/* 120s',
    // signal SIGTERM: a graceful stop, started again at once
    kill: 'stop api',
    drain: 'refused',
  },
  eks: {
    latency: 'latency:ms=200,jitter=10,percent=100,path=/* 300s',
    delete: 'stop api',
    terminate: 'kill api',
    stress: 'refused',
  },
  elasticache: { power: 'stop api 1800s', powerTagged: 'stop api 1800s' },
  lambda: {
    delay: 'latency:ms=1500,percent=50,path=/* 300s',
    errors: 'error:status=500,percent=20,path=/* 300s',
    status: 'error:status=503,percent=100,path=/* 120s',
  },
  network: {
    s3: 'reset:percent=100,path=/* 300s',
    az: 'reset:percent=100,path=/* 300s',
    routes: 'reset:percent=100,path=/* 600s',
    peering: 'reset:percent=100,path=/* 600s',
  },
  'rds-aurora': { failover: 'kill api', settle: 'wait 300s', reboot: 'stop api' },
  s3: { pause: 'refused', pauseTagged: 'refused' },
  ssm: { cpu: 'refused', runbook: 'refused' },
};

async function load(file: string): Promise<{ name: string; experiment: Experiment }> {
  const name = file.replace('.json', '');
  return { name, ...(await loadFisTemplate(join(fixtureDir, file), name)) };
}

const files = readdirSync(fixtureDir).filter((f) => f.endsWith('.json'));

describe('the local plan of every AWS-documented template fixture', () => {
  test('covers every fixture', () => {
    expect(files.map((f) => f.replace('.json', '')).sort()).toEqual(Object.keys(expected).sort());
  });

  test.each(files)(
    '%s: each action is mapped to its local effect or refused naming the action',
    async (file) => {
      const { name, experiment } = await load(file);
      const plan = planLocalExperiment(name, experiment, { defaultTarget });
      expect(plan.errors).toEqual([]);
      expect(Object.fromEntries(plan.entries.map((e) => [e.action, summary(e)]))).toEqual(expected[name]);
      for (const refused of plan.refused) {
        const family = findFisAction(refused.actionId)!.family;
        const document = experiment.actions[refused.action]!.parameters.documentArn?.split('/').pop();
        // An SSM command is refused for the document it runs, the rest for their family.
        expect(refused).toEqual(
          refused.actionId === 'aws:ssm:send-command'
            ? {
                action: refused.action,
                actionId: refused.actionId,
                path: `experiments.${name}.actions.${refused.action}.parameters.documentArn`,
                reason: expect.stringMatching(
                  `^aws:ssm:send-command runs ${document}, which has no local effect on the embedded provider \\(those with one: AWSFIS-Run-Network-Latency, `,
                ),
              }
            : {
                action: refused.action,
                actionId: experiment.actions[refused.action]!.actionId,
                path: `experiments.${name}.actions.${refused.action}.actionId`,
                reason: `${refused.actionId} (${family}) has no local effect on the embedded provider; give it a local stand-in (a fault SPEC, a process fault or a command) or run it on the aws provider`,
              },
        );
      }
      // The dry-run text names every action, refused ones with why.
      const lines = formatLocalPlan(plan.entries, 'the gateway');
      expect(lines).toHaveLength(Object.keys(experiment.actions).length);
      for (const refused of plan.refused)
        expect(lines).toContain(
          `${refused.action} (${refused.actionId}): cannot run here: ${refused.reason}`,
        );
    },
  );

  // A fault SPEC, a process fault on a named target and a command, in turn.
  const standIns = [
    { fault: 'error:status=503,percent=50' },
    { process: 'restart' as const, target: 'db' },
    { run: ['true'], undo: ['true'] },
  ];

  test.each(files)('%s with a stand-in on each refused action plans fully', async (file) => {
    const { name, experiment } = await load(file);
    const refused = planLocalExperiment(name, experiment, { defaultTarget }).refused.map((r) => r.action);
    const actions = { ...experiment.actions };
    refused.forEach((action, i) => {
      actions[action] = { ...actions[action]!, local: standIns[i % standIns.length]! };
    });
    const plan = planLocalExperiment(name, { ...experiment, actions }, { defaultTarget });
    expect(plan.errors).toEqual([]);
    expect(plan.refused).toEqual([]);
    expect(plan.steps).toHaveLength(Object.keys(actions).length);
    for (const step of plan.steps) {
      const i = refused.indexOf(step.action);
      if (i === -1) {
        expect(step.standIn).toBeUndefined();
        continue;
      }
      expect(step.standIn).toBe(true);
      expect(step.effect.kind).toBe(['fault', 'process', 'command'][i % 3]);
      // Every refused action of the fixtures lasts a while, which its stand-in does too.
      expect(step.durationMs).toBeGreaterThan(0);
    }
  });

  test('rds-aurora with localTarget db: the failover kills the db process; FIS never sees the field', async () => {
    const { name, experiment } = await load('rds-aurora.json');
    const withDb: Experiment = {
      ...experiment,
      targets: { ...experiment.targets, cluster: { ...experiment.targets.cluster!, localTarget: 'db' } },
    };
    const plan = planLocalExperiment(name, withDb, { defaultTarget });
    expect(plan.steps.map((s) => s.effect)).toEqual([
      { kind: 'process', op: 'kill', target: 'db' },
      { kind: 'wait' },
      // The reader instance's target names no local process: the default one.
      { kind: 'process', op: 'stop', target: 'api' },
    ]);
    const input = buildFisTemplateInput(name, withDb, {
      service: 'orders',
      region: 'eu-west-1',
      accountId: '123456789012',
    });
    expect(input.targets?.cluster).not.toHaveProperty('localTarget');
    expect(JSON.stringify(input)).not.toContain('localTarget');
  });
});
