import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requireTool } from '../core/tools.ts';
import { type MotoServer, startMotoServer } from '../telemetry/aws/start-moto-server.ts';
import { subscribeQueueToTopic } from '../test-support/moto-sns.ts';
import { type JsonReceiver, startJsonReceiver } from '../test-support/test-servers.ts';
import {
  alertText,
  buildAlertPayload,
  type CanaryAlert,
  createAlertTracker,
  formatDowntime,
  publishAlertToSns,
  sendAlert,
} from './watch-alerts.ts';

const MIN = 60_000;

/** Feeds one canary's run statuses (one a minute) and returns the alerts as `kind@run`. */
function alertsFor(
  statuses: string,
  policy: { failuresBeforeAlert?: number; passesBeforeRecovery?: number } = {},
): string[] {
  const tracker = createAlertTracker(policy);
  const out: string[] = [];
  [...statuses].forEach((s, i) => {
    const status = s === 'F' ? 'failed' : 'passed';
    const alert = tracker.observe({ name: 'home', status, error: 'boom' }, new Date(i * MIN));
    if (alert) out.push(`${alert.kind}@${i + 1}:${alert.failedRuns}${alert.flapping ? ' flapping' : ''}`);
  });
  return out;
}

describe('when a watched canary alerts', () => {
  test.each([
    ['a single failed run followed by a pass alerts no one', 'PFPPP', {}, []],
    [
      'two failed runs in a row alert once (default threshold 2); the pass announces the recovery',
      'PFFFP',
      {},
      ['failing@3:2', 'recovered@5:3'],
    ],
    ['failures that alternate with passes never reach the threshold', 'FPFPFPFP', {}, []],
    ['threshold 3', 'FFPFFFP', { failuresBeforeAlert: 3 }, ['failing@6:3', 'recovered@7:3']],
    [
      'threshold 1 alerts on the first failed run',
      'PFP',
      { failuresBeforeAlert: 1 },
      ['failing@2:1', 'recovered@3:1'],
    ],
    [
      'while alerting, a lone pass between failures does not recover when two passes are needed (damped)',
      'FFPFPFPP',
      { passesBeforeRecovery: 2 },
      ['failing@2:2', 'recovered@8:4'],
    ],
    [
      'a second outage long after the recovery alerts again, counted from zero',
      `FFP${'P'.repeat(10)}FFP`,
      {},
      ['failing@2:2', 'recovered@3:2', 'failing@15:2', 'recovered@16:2'],
    ],
    [
      'flapping: an outage soon after a recovery stays open until three passes in a row',
      'FFPFFPFFPFFPPP',
      {},
      ['failing@2:2', 'recovered@3:2', 'failing@5:2 flapping', 'recovered@14:6 flapping'],
    ],
    [
      'flapping window: an outage alerting 10 runs after the recovery is flapping',
      `FFP${'P'.repeat(8)}FFPP`,
      {},
      ['failing@2:2', 'recovered@3:2', 'failing@13:2 flapping'],
    ],
    [
      'flapping window: one alerting 11 runs after it is a new outage',
      `FFP${'P'.repeat(9)}FFP`,
      {},
      ['failing@2:2', 'recovered@3:2', 'failing@14:2', 'recovered@15:2'],
    ],
    [
      'flapping with passesBeforeRecovery above three keeps the higher number',
      'FFPPPPFFPPPP',
      { passesBeforeRecovery: 4 },
      ['failing@2:2', 'recovered@6:2', 'failing@8:2 flapping', 'recovered@12:2 flapping'],
    ],
  ] as const)('%s', (_what, statuses, policy, expected) => {
    expect(alertsFor(statuses, policy)).toEqual(expected);
  });

  test('each canary is tracked on its own', () => {
    const tracker = createAlertTracker();
    const at = new Date(0);
    expect(tracker.observe({ name: 'a', status: 'failed' }, at)).toBeUndefined();
    expect(tracker.observe({ name: 'b', status: 'failed' }, at)).toBeUndefined();
    expect(tracker.observe({ name: 'a', status: 'failed' }, at)?.canary).toBe('a');
    expect(tracker.observe({ name: 'b', status: 'passed' }, at)).toBeUndefined();
  });
});

test.each([
  [40_000, '40 s'],
  [14 * MIN, '14 min'],
  [125 * MIN, '2 h 5 min'],
  [120 * MIN, '2 h'],
])('downtime %d ms reads "%s"', (ms, text) => {
  expect(formatDowntime(ms)).toBe(text);
});

const failing: CanaryAlert = {
  kind: 'failing',
  canary: 'home',
  env: 'staging',
  target: 'https://shop.example.com',
  at: new Date('2026-01-01T10:02:00Z'),
  since: new Date('2026-01-01T10:00:00Z'),
  failedRuns: 2,
  error: 'step "open" failed: 503',
};
const recovered: CanaryAlert = {
  ...failing,
  kind: 'recovered',
  at: new Date('2026-01-01T10:14:00Z'),
  failedRuns: 3,
};

test('the texts say what failed and how long the outage lasted', () => {
  expect(alertText(failing)).toBe(
    'canary home (staging) is failing: 2 runs in a row — step "open" failed: 503',
  );
  expect(alertText(recovered)).toBe('canary home (staging) recovered after 3 runs / 14 min');
  expect(alertText({ ...failing, flapping: true })).toBe(
    'canary home (staging) is failing again (flapping): 2 runs in a row — step "open" failed: 503',
  );
  expect(alertText({ ...recovered, flapping: true })).toBe(
    'canary home (staging) recovered after 3 runs / 14 min (steady after flapping)',
  );
  expect(buildAlertPayload({ ...failing, flapping: true }, 'generic')).toMatchObject({ flapping: true });
  expect(buildAlertPayload(failing, 'generic')).not.toHaveProperty('flapping');
});

test('PagerDuty: trigger and resolve share one dedup key; Slack and SNS carry the text', () => {
  const trigger = buildAlertPayload(failing, 'pagerduty', 'k'.repeat(32)) as Record<string, unknown>;
  const resolve = buildAlertPayload(recovered, 'pagerduty', 'k'.repeat(32)) as Record<string, unknown>;
  expect(trigger).toMatchObject({
    event_action: 'trigger',
    payload: { severity: 'critical', source: failing.target },
  });
  expect(resolve).toEqual({
    routing_key: 'k'.repeat(32),
    event_action: 'resolve',
    dedup_key: trigger.dedup_key,
  });
  expect(buildAlertPayload(failing, 'slack')).toMatchObject({ text: alertText(failing) });
  expect(buildAlertPayload(recovered, 'sns')).toMatchObject({ NewStateValue: 'OK', OldStateValue: 'ALARM' });
});

test("Slack: markup characters are escaped and the section stays within Slack's 3000 characters", () => {
  const long = { ...failing, error: `<!channel> body <b>x</b> & ${'y'.repeat(5000)}` };
  const message = buildAlertPayload(long, 'slack') as {
    text: string;
    blocks: { text: { text: string } }[];
  };
  const section = message.blocks[0]?.text.text ?? '';
  expect(section).toHaveLength(3000);
  expect(section).toContain('&lt;!channel&gt; body &lt;b&gt;x&lt;/b&gt; &amp; yyy');
  expect(`${section}${message.text}`).not.toMatch(/[<>]/);
  expect(buildAlertPayload(failing, 'slack')).toEqual({
    text: alertText(failing),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: alertText(failing) } }],
  });
});

test("PagerDuty: a canary name near AWS's 255 characters still gets a dedup_key of at most 255, one per canary", () => {
  const key = (canary: string, kind: 'failing' | 'recovered') =>
    (buildAlertPayload({ ...failing, kind, canary }, 'pagerduty', 'k'.repeat(32)) as { dedup_key: string })
      .dedup_key;
  const a = 'a'.repeat(254);
  const b = `${'a'.repeat(253)}b`;
  expect(key(a, 'failing')).toHaveLength(255);
  expect(key(a, 'recovered')).toBe(key(a, 'failing'));
  expect(key(b, 'failing')).not.toBe(key(a, 'failing'));
  expect(key('home', 'failing')).toBe('opsproof:staging:canary:home');
});

describe('sendAlert', () => {
  let receiver: JsonReceiver;
  beforeAll(async () => {
    receiver = await startJsonReceiver((path) => (path === '/down' ? 500 : 200));
  });
  afterAll(() => receiver.close());

  test('POSTs each format; a receiver answering 500 and one that is down are reported, not thrown', async () => {
    const failures = await sendAlert(
      { ...failing, error: 'token s3cr3t-value leaked' },
      [
        { url: `${receiver.url}/generic`, format: 'generic' },
        { url: `${receiver.url}/down`, format: 'slack' },
        { url: 'http://127.0.0.1:1/nothing', format: 'sns' },
      ],
      (t) => t.replaceAll('s3cr3t-value', '[REDACTED]'),
    );
    expect(failures).toHaveLength(2);
    expect(failures[0] ?? failures[1]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/…/);
    expect(receiver.received.map((b) => b.path).sort()).toEqual(['/down', '/generic']);
    expect(JSON.stringify(receiver.received)).not.toContain('s3cr3t-value');
  });
});

// The SNS path against moto: the alert reaches a queue subscribed to the topic as the alarm
// notification CloudWatch would publish (raw message delivery off: the SNS envelope, Message inside).
const moto = requireTool('moto_server');
describe.skipIf(moto.skip)('publishAlertToSns against moto', () => {
  let server: MotoServer;
  afterAll(async () => server?.close());

  test('the alarm-shaped message and an ASCII subject of at most 100 characters reach a subscribed queue', async () => {
    server = await startMotoServer(moto.path ?? 'moto_server');
    const { sns, sqs, topicArn, queueUrl } = await subscribeQueueToTopic(server.endpoint, {
      topic: 'orders-staging-critical',
      queue: 'alerts',
    });
    const long = { ...failing, error: `x${'y'.repeat(200)}` };
    expect(await publishAlertToSns(long, topicArn, sns)).toEqual([]);
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2 }),
    );
    const envelope = JSON.parse(Messages?.[0]?.Body ?? '{}') as { Subject: string; Message: string };
    expect(envelope.Subject).toHaveLength(100);
    expect(envelope.Subject).toMatch(/^canary home \(staging\) is failing: 2 runs in a row - x/);
    expect(JSON.parse(envelope.Message)).toMatchObject({ AlarmName: 'canary:home', NewStateValue: 'ALARM' });
    // A topic that does not exist is a returned failure, not a throw.
    expect(await publishAlertToSns(failing, `${topicArn}-missing`, sns)).toEqual([
      expect.stringMatching(/^SNS topic .*-missing: /),
    ]);
  }, 60_000);
});
