import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import type { RecordOf } from '../core/events.ts';
import type { LoadedSuite, ResolvedEnvironment } from '../core/load-config.ts';
import { validateSuite } from '../core/validate-suite.ts';
import { EmbeddedTelemetry } from '../telemetry/embedded/embedded-telemetry.ts';
import { findFreePort } from './local-target.ts';
import { executeRun } from './run.ts';
import { createChaosStage } from './stages/chaos-stage.ts';

// Issue 22's acceptance: a local experiment stops a named database process while load runs, and the
// journal shows the kill, the restart, the impact on the load and the service recovering.
// The service (test-support/db/orders-service.mjs) reads its orders from a separate database
// process, json-server (a third-party REST document store, a devDependency), started by the run as
// the named target `db` (`start` + `readyTcp`). No skip: a missing json-server fails this file.

const require = createRequire(import.meta.url);
const jsonServer = require.resolve('json-server/lib/cli/bin.js');
const service = fileURLToPath(new URL('../test-support/db/orders-service.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'opsproof-db-failover-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('aws:rds:failover-db-cluster on the local database while orders are read: killed, started again, ready; errors while it was down, none after', async () => {
  const dbFile = join(dir, 'orders-db.json');
  copyFileSync(fileURLToPath(new URL('../test-support/db/orders-db.json', import.meta.url)), dbFile);
  const dbPort = await findFreePort();
  const { suite, diagnostics } = validateSuite({
    service: 'orders',
    environments: {
      local: {
        targets: {
          web: {
            url: 'http://127.0.0.1:0',
            readyPath: '/health/ready',
            start: {
              command: [process.execPath, service],
              env: { DB_URL: `http://127.0.0.1:${dbPort}` },
              readyTimeout: '15s',
            },
          },
          db: {
            readyTcp: `127.0.0.1:${dbPort}`,
            start: {
              command: [process.execPath, jsonServer, '--host', '127.0.0.1', '--port', '{port}', dbFile],
              readyTimeout: '15s',
            },
          },
        },
      },
    },
    load: {
      profiles: {
        // Bounded: at most 60 req/s for 20 s; the chaos stage stops it when the experiment ends.
        orders: { target: 'web', rate: 60, duration: '20s', requests: [{ path: '/orders' }] },
      },
    },
    experiments: {
      'db-failover': {
        description: 'the orders database fails over while orders are read',
        targets: {
          Cluster: {
            resourceType: 'aws:rds:cluster',
            resourceArns: ['arn:aws:rds:eu-west-1:123456789012:cluster:orders'],
            selectionMode: 'ALL',
            localTarget: 'db',
          },
        },
        actions: {
          before: { actionId: 'aws:fis:wait', parameters: { duration: 'PT2S' } },
          failover: {
            actionId: 'aws:rds:failover-db-cluster',
            targets: { Clusters: 'Cluster' },
            startAfter: ['before'],
          },
          after: { actionId: 'aws:fis:wait', parameters: { duration: 'PT4S' }, startAfter: ['failover'] },
        },
        load: 'orders',
      },
    },
  });
  if (!suite) throw new Error(diagnostics.map((d) => `${d.path}: ${d.message}`).join('; '));
  const loaded: LoadedSuite = { suite, file: join(dir, 'opsproof.config.ts'), dir, warnings: [] };
  const env: ResolvedEnvironment = { ...suite.environments.local!, name: 'local' };
  const result = await executeRun({
    command: 'chaos',
    loaded,
    env,
    stages: [createChaosStage()],
    outDir: join(dir, 'run'),
    signal: new AbortController().signal,
    telemetry: new EmbeddedTelemetry(),
  });
  const journal = result.experiments?.[0];
  expect(result.error).toBeUndefined();
  expect(journal?.status, journal?.error).toBe('completed');
  const failover = journal!.activities.find((a) => a.name === 'failover')!;
  expect(failover.status).toBe('succeeded');

  // The kill and the restart, with their times.
  const record = failover.process!;
  expect(record).toMatchObject({ target: 'db', op: 'kill', exit: 'SIGKILL' });
  const killedAt = Date.parse(record.faultedAt);
  const readyAt = Date.parse(record.readyAt!);
  expect(Date.parse(record.restartedAt!)).toBeGreaterThanOrEqual(killedAt);
  expect(readyAt).toBeGreaterThanOrEqual(Date.parse(record.restartedAt!));
  // Measured on the monotonic clock; the ISO times are the wall clock's, to the millisecond.
  expect(Math.abs(record.recoveryMs! - (readyAt - killedAt))).toBeLessThanOrEqual(2);
  expect(failover.output).toMatch(
    /^killed db \(pid \d+\) with SIGKILL at .*; started again at .*; ready at .* \(recovered in \d+ ms\); load meanwhile: [1-9]\d* errors of \d+ requests \(\d+ s\), none from /,
  );
  // The service recovering, in the journal: the first second of load without errors after ready.
  const clearAt = Date.parse(record.load!.clearAt!);
  expect(clearAt).toBeGreaterThanOrEqual(readyAt);
  // The check in the reports says it too.
  expect(result.checks.find((c) => c.kind === 'experiment')?.message).toContain('killed db (pid');
  // The runner's record: the database process exited by SIGKILL and a new one started.
  const exits = result.timeline.filter(
    (r): r is RecordOf<'target.exit'> => r.type === 'target.exit' && r.name === 'db',
  );
  expect(exits[0]).toMatchObject({ pid: record.pid, signal: 'SIGKILL' });
  const starts = result.timeline.filter(
    (r): r is RecordOf<'target.start'> => r.type === 'target.start' && r.name === 'db',
  );
  expect(starts.length).toBe(2);
  expect(starts[1]!.pid).not.toBe(record.pid);

  // The impact on the load: every second before the kill answered, errors while the database was
  // down, none from the tick the journal names on (the service recovered and stayed so).
  const ticks = result.timeline.filter((r): r is RecordOf<'load.tick'> => r.type === 'load.tick');
  const at = (r: { at: string }) => Date.parse(r.at);
  const before = ticks.filter((t) => at(t) < killedAt);
  const during = ticks.filter((t) => at(t) >= killedAt && at(t) <= readyAt + 1000);
  const after = ticks.filter((t) => at(t) >= clearAt);
  expect(before.length).toBeGreaterThanOrEqual(1);
  expect(before.map((t) => t.errors)).toEqual(before.map(() => 0));
  expect(during.reduce((sum, t) => sum + t.errors, 0)).toBeGreaterThan(0);
  expect(record.load!.errors).toBeGreaterThan(0);
  expect(after.length).toBeGreaterThanOrEqual(2);
  expect(after.map((t) => t.errors)).toEqual(after.map(() => 0));
  expect(after.reduce((sum, t) => sum + t.rps, 0)).toBeGreaterThan(0);
}, 90_000);
