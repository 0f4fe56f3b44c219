import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { z } from 'zod';
import { writePingProject } from '../test-support/ping-canary.ts';
import { runOpsproof } from '../test-support/run-opsproof.ts';
import {
  type JsonReceiver,
  startJsonReceiver,
  startServer,
  type TestServer,
} from '../test-support/test-servers.ts';

// `opsproof canary watch` against a target that goes down and comes back: one failure alert after
// two failed runs in a row, one recovery, in every receiver format; a lone failed run alerts no one.
const dir = mkdtempSync(join(tmpdir(), 'opsproof-canary-watch-alerts-'));
// Status of the target per run: a lone failure (run 2), then an outage of three runs (4–6).
const STATUSES = [200, 503, 200, 503, 503, 503, 200, 200];
const ROUTING_KEY = 'R0uting0Key0For0PagerDuty0000000';
let target: TestServer;
let receiver: JsonReceiver;
let targetRequests = 0;
const headerSeen: (string | undefined)[] = [];

// The documented shapes of each service's message, as far as these alerts use them.
const slackMessage = z
  .object({
    text: z.string().min(1),
    blocks: z.array(
      z.object({
        type: z.literal('section'),
        text: z.object({ type: z.enum(['mrkdwn', 'plain_text']), text: z.string().max(3000) }),
      }),
    ),
  })
  .strict();
const pagerDutyTrigger = z
  .object({
    routing_key: z.string().length(32),
    event_action: z.literal('trigger'),
    dedup_key: z.string().max(255),
    payload: z
      .object({
        summary: z.string().min(1).max(1024),
        source: z.string().min(1),
        severity: z.enum(['critical', 'error', 'warning', 'info']),
        timestamp: z.iso.datetime(),
        component: z.string().optional(),
        group: z.string().optional(),
        class: z.string().optional(),
        custom_details: z.record(z.string(), z.unknown()).optional(),
      })
      .strict(),
  })
  .strict();
const pagerDutyResolve = z
  .object({
    routing_key: z.string().length(32),
    event_action: z.literal('resolve'),
    dedup_key: z.string().max(255),
  })
  .strict();
// The alarm notification the drills' notification sink receives (runner/start-notification-sink.ts).
const snsAlarm = z
  .object({
    AlarmName: z.string(),
    AlarmDescription: z.string().nullable(),
    NewStateValue: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
    OldStateValue: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
    NewStateReason: z.string(),
    StateChangeTime: z.iso.datetime(),
    Severity: z.enum(['critical', 'warning', 'info']),
    Runbook: z.string().nullable(),
  })
  .strict();

beforeAll(async () => {
  target = await startServer((req, res) => {
    req.resume();
    headerSeen.push(req.headers['x-watch-token'] as string | undefined);
    res.statusCode = STATUSES[targetRequests] ?? 200;
    targetRequests++;
    res.end();
  });
  receiver = await startJsonReceiver();
  writePingProject(
    dir,
    {
      service: 'watched',
      environments: {
        local: {
          target: target.url,
          headers: { 'x-watch-token': '${secret:TOKEN}' },
          secrets: { TOKEN: { env: 'WATCH_TOKEN' } },
          watch: {
            failuresBeforeAlert: 2,
            alerts: [
              { url: `${receiver.url}/generic`, format: 'generic' },
              { url: `${receiver.url}/slack`, format: 'slack' },
              { url: `${receiver.url}/pagerduty`, format: 'pagerduty', routingKey: ROUTING_KEY },
              { url: `${receiver.url}/sns`, format: 'sns' },
            ],
          },
        },
      },
      canaries: { files: ['ping.canary.ts'] },
    },
    { retries: 0 },
  );
});
afterAll(async () => {
  await Promise.all([target.close(), receiver.close()]);
  rmSync(dir, { recursive: true, force: true });
});

test('down for three runs and back: one failure alert and one recovery per format; the lone failure alerts no one', async () => {
  const { code } = await runOpsproof(
    ['canary', 'watch', '--every', '1s', '--runs', String(STATUSES.length)],
    {
      cwd: dir,
      timeoutMs: 50_000,
      env: { WATCH_TOKEN: 'watch-t0ken-9f8e' },
    },
  );
  expect(code).toBe(0);
  expect(targetRequests).toBe(STATUSES.length);
  // The environment's header, its secret expanded, on every request.
  expect(headerSeen).toEqual(STATUSES.map(() => 'watch-t0ken-9f8e'));

  const by = (path: string) => receiver.received.filter((r) => r.path === path).map((r) => r.body);
  expect(receiver.received).toHaveLength(8);
  const [genericFailing, genericRecovered] = by('/generic') as Record<string, unknown>[];
  expect(genericFailing).toMatchObject({
    event: 'canary.failing',
    canary: 'ping',
    environment: 'local',
    failedRuns: 2,
  });
  expect(genericFailing?.error).toMatch(/root returned 503/);
  expect(genericRecovered).toMatchObject({ event: 'canary.recovered', failedRuns: 3 });
  expect(genericRecovered?.text).toMatch(/^canary ping \(local\) recovered after 3 runs \/ \d+ s$/);

  const slack = by('/slack');
  expect(slack.map((m) => slackMessage.parse(m).text)).toEqual([
    expect.stringMatching(/is failing: 2 runs in a row/),
    expect.stringMatching(/recovered after 3 runs/),
  ]);
  const [trigger, resolved] = by('/pagerduty');
  expect(pagerDutyTrigger.parse(trigger).dedup_key).toBe(pagerDutyResolve.parse(resolved).dedup_key);
  expect(by('/sns').map((m) => snsAlarm.parse(m).NewStateValue)).toEqual(['ALARM', 'OK']);

  // Each round is its own run directory with its results; reports/latest is the last one.
  const latest = resolve(dir, 'reports', readlinkSync(join(dir, 'reports', 'latest')));
  expect(latest).toMatch(new RegExp(`run-${STATUSES.length}$`));
  expect(existsSync(join(latest, 'canaries.json'))).toBe(true);
  expect(JSON.parse(readFileSync(join(latest, 'canaries.json'), 'utf8'))).toEqual([
    expect.objectContaining({ name: 'ping', status: 'passed' }),
  ]);
}, 60_000);
