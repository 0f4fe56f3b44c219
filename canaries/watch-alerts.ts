import { createHash } from 'node:crypto';
import type { PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import type { CanaryRunResult } from '../core/run-result.ts';
import type { WatchConfig } from '../core/schema.ts';

/** A canary that started failing (after N failed runs in a row), or that recovered. */
export interface CanaryAlert {
  kind: 'failing' | 'recovered';
  canary: string;
  env: string;
  target: string;
  /** When the run that raised the alert finished. */
  at: Date;
  /** When the first failed run of this outage finished. */
  since: Date;
  /** Failed runs of the outage so far (failing) or in all (recovered). */
  failedRuns: number;
  /** The last failed run's error (already redacted by the run). */
  error?: string;
  /** Run directory of the run that raised the alert. */
  runDir?: string;
  /**
   * The outage began soon after the canary's last recovery ({@link FLAP_WINDOW_RUNS}): its recovery
   * waits for {@link FLAPPING_PASSES} passes in a row.
   */
  flapping?: boolean;
}

/** An outage alerting within this many runs of the canary's previous recovery is flapping. */
const FLAP_WINDOW_RUNS = 10;
/** Passes in a row a flapping canary needs before its recovery is announced (at least). */
const FLAPPING_PASSES = 3;

interface CanaryState {
  failuresInRow: number;
  passesInRow: number;
  alerting: boolean;
  since?: Date;
  failedRuns: number;
  error?: string;
  /** Runs of this canary observed so far. */
  runs: number;
  /** The run that announced its last recovery. */
  recoveredAtRun?: number;
  flapping: boolean;
}

/** A canary with no outage open, `runs` runs observed. */
function freshState(runs: number): CanaryState {
  return { failuresInRow: 0, passesInRow: 0, alerting: false, failedRuns: 0, runs, flapping: false };
}

export interface AlertPolicy {
  /** Failed runs in a row before the failure alert. @defaultValue 2 */
  failuresBeforeAlert?: number;
  /** Passed runs in a row before the recovery is announced. @defaultValue 1 */
  passesBeforeRecovery?: number;
}

/**
 * Turns each canary's run results into alerts as a monitor does: one failure alert once it failed
 * `failuresBeforeAlert` runs in a row (a single failed run followed by a pass alerts no one), one
 * recovery once it passed `passesBeforeRecovery` runs in a row; while alerting, failed runs only
 * count. Flapping is damped: an outage that alerts within {@link FLAP_WINDOW_RUNS} runs of the
 * canary's previous recovery is flapping, and its recovery waits for at least
 * {@link FLAPPING_PASSES} passes in a row, so a canary going up and down stays one open alert
 * instead of a failure and a recovery per swing.
 */
export function createAlertTracker(policy: AlertPolicy = {}) {
  const failuresBeforeAlert = policy.failuresBeforeAlert ?? 2;
  const passesBeforeRecovery = policy.passesBeforeRecovery ?? 1;
  const states = new Map<string, CanaryState>();
  return {
    observe(
      result: Pick<CanaryRunResult, 'name' | 'status' | 'error'>,
      at: Date,
    ):
      | Pick<CanaryAlert, 'kind' | 'canary' | 'at' | 'since' | 'failedRuns' | 'error' | 'flapping'>
      | undefined {
      let state = states.get(result.name);
      if (!state) {
        state = freshState(0);
        states.set(result.name, state);
      }
      state.runs += 1;
      if (result.status === 'failed') {
        state.passesInRow = 0;
        state.failuresInRow += 1;
        state.failedRuns += 1;
        state.since ??= at;
        if (result.error) state.error = result.error;
        if (state.alerting || state.failuresInRow < failuresBeforeAlert) return undefined;
        state.alerting = true;
        state.flapping =
          state.recoveredAtRun !== undefined && state.runs - state.recoveredAtRun <= FLAP_WINDOW_RUNS;
        return {
          kind: 'failing',
          canary: result.name,
          at,
          since: state.since,
          failedRuns: state.failedRuns,
          ...(state.error ? { error: state.error } : {}),
          ...(state.flapping ? { flapping: true } : {}),
        };
      }
      state.failuresInRow = 0;
      if (!state.alerting) {
        // Failures that never reached the threshold are forgotten.
        state.failedRuns = 0;
        state.since = undefined;
        state.error = undefined;
        return undefined;
      }
      state.passesInRow += 1;
      const needed = state.flapping ? Math.max(passesBeforeRecovery, FLAPPING_PASSES) : passesBeforeRecovery;
      if (state.passesInRow < needed) return undefined;
      const recovered = {
        kind: 'recovered' as const,
        canary: result.name,
        at,
        since: state.since ?? at,
        failedRuns: state.failedRuns,
        ...(state.flapping ? { flapping: true } : {}),
      };
      // The run count and the recovery stay: the next outage is measured against this recovery.
      states.set(result.name, { ...freshState(state.runs), recoveredAtRun: state.runs });
      return recovered;
    },
  };
}

/** `3 min`, `14 min`, `2 h 5 min`, `40 s`. */
export function formatDowntime(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h${min % 60 ? ` ${min % 60} min` : ''}`;
}

/** The one-line text every format carries. */
export function alertText(alert: CanaryAlert): string {
  const runs = alert.failedRuns === 1 ? '1 run' : `${alert.failedRuns} runs`;
  if (alert.kind === 'failing') {
    const again = alert.flapping ? ' again (flapping)' : '';
    return `canary ${alert.canary} (${alert.env}) is failing${again}: ${runs} in a row${alert.error ? ` — ${alert.error}` : ''}`;
  }
  return `canary ${alert.canary} (${alert.env}) recovered after ${runs} / ${formatDowntime(alert.at.getTime() - alert.since.getTime())}${alert.flapping ? ' (steady after flapping)' : ''}`;
}

export type AlertFormat = WatchConfig['alerts'][number]['format'];

/**
 * The request body for one receiver format:
 * - `generic`: opsproof's own JSON (`event`, `canary`, `text`, …);
 * - `slack`: an incoming-webhook message (`text`, with the same text as a mrkdwn section block);
 * - `pagerduty`: an Events API v2 event (`trigger` on failure, `resolve` on recovery, one `dedup_key`
 *   per environment and canary, so the recovery closes the incident the failure opened);
 * - `sns`: the alarm notification CloudWatch publishes to an SNS topic (AlarmName, NewStateValue, …),
 *   as the drills' notification sink receives it.
 */
export function buildAlertPayload(alert: CanaryAlert, format: AlertFormat, routingKey?: string): unknown {
  const text = alertText(alert);
  const dedupKey = pagerDutyDedupKey(`opsproof:${alert.env}:canary:${alert.canary}`);
  switch (format) {
    case 'slack': {
      // Slack reads &, < and > as markup (`<!channel>` pings everyone) and refuses a section text
      // over 3000 characters (the whole message would be lost), so the text is escaped and cut.
      const slackText = text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
      const section = slackText.length > 3000 ? `${slackText.slice(0, 2999)}…` : slackText;
      return { text: slackText, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: section } }] };
    }
    case 'pagerduty':
      if (alert.kind === 'recovered')
        return { routing_key: routingKey, event_action: 'resolve', dedup_key: dedupKey };
      return {
        routing_key: routingKey,
        event_action: 'trigger',
        dedup_key: dedupKey,
        payload: {
          // Events v2 caps the summary at 1024 characters.
          summary: text.slice(0, 1024),
          source: alert.target,
          severity: 'critical',
          timestamp: alert.at.toISOString(),
          component: alert.canary,
          group: alert.env,
          class: 'canary',
          custom_details: {
            failedRuns: alert.failedRuns,
            ...(alert.flapping ? { flapping: true } : {}),
            since: alert.since.toISOString(),
            ...(alert.error ? { error: alert.error } : {}),
            ...(alert.runDir ? { runDir: alert.runDir } : {}),
          },
        },
      };
    case 'sns':
      return {
        AlarmName: `canary:${alert.canary}`,
        AlarmDescription: `opsproof canary watch: ${alert.canary} against ${alert.target}`,
        NewStateValue: alert.kind === 'failing' ? 'ALARM' : 'OK',
        OldStateValue: alert.kind === 'failing' ? 'OK' : 'ALARM',
        NewStateReason: text,
        StateChangeTime: alert.at.toISOString(),
        Severity: 'critical',
        Runbook: null,
      };
    default:
      return {
        event: alert.kind === 'failing' ? 'canary.failing' : 'canary.recovered',
        canary: alert.canary,
        environment: alert.env,
        target: alert.target,
        text,
        at: alert.at.toISOString(),
        since: alert.since.toISOString(),
        failedRuns: alert.failedRuns,
        ...(alert.flapping ? { flapping: true } : {}),
        ...(alert.kind === 'recovered' ? { downForMs: alert.at.getTime() - alert.since.getTime() } : {}),
        ...(alert.error ? { error: alert.error } : {}),
        ...(alert.runDir ? { runDir: alert.runDir } : {}),
      };
  }
}

/** Events v2 refuses a `dedup_key` over 255 characters: a longer one keeps its start and a hash of the rest. */
function pagerDutyDedupKey(key: string): string {
  if (key.length <= 255) return key;
  return `${key.slice(0, 238)}~${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

export interface AlertReceiver {
  url: string;
  format: AlertFormat;
  routingKey?: string;
}

/**
 * POSTs the alert to every receiver (10 s each). A receiver that is down or answers non-2xx is
 * reported in the returned list, never thrown: the watch goes on.
 */
export async function sendAlert(
  alert: CanaryAlert,
  receivers: readonly AlertReceiver[],
  redact: (text: string) => string = (t) => t,
): Promise<string[]> {
  const failures: string[] = [];
  // Only the error text is redacted: a PagerDuty routing key may itself be a secret the redactor knows.
  const safe = alert.error ? { ...alert, error: redact(alert.error) } : alert;
  await Promise.all(
    receivers.map(async (receiver) => {
      const body = JSON.stringify(buildAlertPayload(safe, receiver.format, receiver.routingKey));
      try {
        const res = await fetch(receiver.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (!res.ok) failures.push(`${redactUrl(receiver.url)} answered ${res.status}`);
      } catch (error) {
        failures.push(`${redactUrl(receiver.url)}: ${(error as Error).message}`);
      }
    }),
  );
  return failures;
}

/** Webhook URLs carry their credential in the path (Slack): only the origin is printed. */
function redactUrl(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return 'the alert receiver';
  }
}

/**
 * aws: publishes the alert to an SNS topic as the notification a CloudWatch alarm sends (the `sns`
 * payload, with a Subject of at most 100 ASCII characters, SNS's limit). Failures are returned, never
 * thrown. The client is created on first use (region and credentials from the default chain).
 */
export async function publishAlertToSns(
  alert: CanaryAlert,
  topicArn: string,
  client?: Pick<SNSClient, 'send'>,
  region?: string,
): Promise<string[]> {
  try {
    const sdk = await import('@aws-sdk/client-sns');
    const sns = client ?? new sdk.SNSClient(region ? { region } : {});
    const input: PublishCommandInput = {
      TopicArn: topicArn,
      Message: JSON.stringify(buildAlertPayload(alert, 'sns')),
      Subject: alertText(alert)
        .replace(/[^\x20-\x7e]/g, '-')
        .slice(0, 100),
    };
    await sns.send(new sdk.PublishCommand(input));
    return [];
  } catch (error) {
    return [`SNS topic ${topicArn}: ${(error as Error).name}`];
  }
}
