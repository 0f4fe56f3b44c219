// The Telemetry port over CloudWatch, X-Ray and CloudWatch Logs. One class because each port method
// is a short paging loop over one SDK client and they share the clients, the time scale and the alarm
// cache; the pure request builders above it are exported for their table tests.

import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  type Dimension,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  type MetricDataQuery,
  PutMetricDataCommand,
  type StandardUnit,
} from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { SQSClient } from '@aws-sdk/client-sqs';
import { GetTraceSummariesCommand, XRayClient } from '@aws-sdk/client-xray';
import type { ResolvedEnvironment } from '../../core/load-config.ts';
import type { Timeline } from '../../core/timeline.ts';
import { parseAlarmRule, ruleAlarmNames } from '../composite-alarm.ts';
import { attributeMatches, logRecordMatches } from '../match-records.ts';
import { parseLogLine } from '../parse-log-line.ts';
import type { Telemetry } from '../port.ts';
import type {
  AlarmStateChange,
  AlarmStateValue,
  AttributeValue,
  LogQuery,
  LogRecord,
  MetricDatum,
  MetricStatisticsDatapoint,
  MetricStatisticsQuery,
  TraceQuery,
  TraceSummary,
} from '../types.ts';
import { startAlarmEventsReader } from './alarm-events.ts';
import { type RetryOptions, withAwsRetries } from './with-aws-retries.ts';

// DescribeAlarms and DescribeAlarmHistory return only metric alarms unless AlarmTypes names composites too.
const BOTH_ALARM_TYPES: ('CompositeAlarm' | 'MetricAlarm')[] = ['CompositeAlarm', 'MetricAlarm'];

export interface AwsClients {
  cloudwatch: CloudWatchClient;
  xray: XRayClient;
  logs: CloudWatchLogsClient;
  sqs: SQSClient;
}

/** SDK clients for a region. `AWS_ENDPOINT_URL` (moto in tests) is honoured by the SDK itself. */
export function createAwsClients(region: string): AwsClients {
  // Our own retries (withAwsRetries) decide about throttling; the SDK makes one attempt.
  const config = { region, maxAttempts: 1 };
  return {
    cloudwatch: new CloudWatchClient(config),
    xray: new XRayClient(config),
    logs: new CloudWatchLogsClient(config),
    sqs: new SQSClient(config),
  };
}

/** `annotation.correlation_id = "abc" AND annotation.n = 3` from attributes. Pure. */
export function buildXrayFilterExpression(attributes: Record<string, AttributeValue>): string {
  return Object.entries(attributes)
    .map(([key, value]) => {
      const name = key.replace(/[^A-Za-z0-9_]/g, '_');
      const literal = typeof value === 'string' ? JSON.stringify(value) : String(value);
      return `annotation.${name} = ${literal}`;
    })
    .join(' AND ');
}

/** `{ ($.correlationId = "abc") && ($.status = 200) }` from fields. Pure. */
export function buildLogsFilterPattern(fields: Record<string, AttributeValue>): string {
  const terms = Object.entries(fields).map(([key, value]) => {
    const literal = typeof value === 'string' ? JSON.stringify(value) : String(value);
    return `($.${key} = ${literal})`;
  });
  if (terms.length === 0) return '';
  return `{ ${terms.join(' && ')} }`;
}

/** DescribeAlarmHistory's HistoryData JSON → states and reason. Pure. */
export function parseHistoryData(
  alarmName: string,
  timestamp: Date,
  historyData: string,
  summary?: string,
): AlarmStateChange | undefined {
  try {
    const data = JSON.parse(historyData) as {
      oldState?: { stateValue?: AlarmStateValue; stateReason?: string };
      newState?: { stateValue?: AlarmStateValue; stateReason?: string };
    };
    if (!data.newState?.stateValue) return undefined;
    return {
      alarmName,
      timestamp,
      oldState: data.oldState?.stateValue ?? 'INSUFFICIENT_DATA',
      newState: data.newState.stateValue,
      reason: data.newState.stateReason ?? summary ?? '',
    };
  } catch {
    return undefined;
  }
}

/**
 * GetMetricData queries for what an alarm evaluates: its metric math as written, or one MetricStat
 * of its metric and statistic; `undefined` when the alarm names neither. Pure.
 */
export function buildAlarmDataQueries(alarm: {
  Namespace?: string;
  MetricName?: string;
  Dimensions?: Dimension[];
  Statistic?: string;
  ExtendedStatistic?: string;
  Period?: number;
  Metrics?: MetricDataQuery[];
}): MetricDataQuery[] | undefined {
  if (alarm.Metrics && alarm.Metrics.length > 0) return alarm.Metrics;
  const stat = alarm.ExtendedStatistic ?? alarm.Statistic;
  if (!alarm.MetricName || !alarm.Namespace || !stat || !alarm.Period) return undefined;
  return [
    {
      Id: 'alarm',
      MetricStat: {
        Metric: { Namespace: alarm.Namespace, MetricName: alarm.MetricName, Dimensions: alarm.Dimensions },
        Period: alarm.Period,
        Stat: stat,
      },
      ReturnData: true,
    },
  ];
}

/** The id of the query whose datapoints the alarm evaluates (the one with ReturnData, or the only one). */
function returnedId(queries: readonly MetricDataQuery[]): string | undefined {
  return (queries.find((q) => q.ReturnData === true) ?? queries.find((q) => q.ReturnData !== false))?.Id;
}

export interface AwsTelemetryOptions {
  clients: AwsClients;
  /** Prepended to alarm names of the suite (deployed names). */
  alarmPrefix?: string;
  logGroups?: string[];
  /** SQS queue fed by the EventBridge rule (push path). */
  alarmEventsQueueUrl?: string;
  timeline?: Timeline;
  retry?: RetryOptions;
  /** Long-poll wait of the SQS reader. @defaultValue 20 */
  queueWaitSeconds?: number;
}

/** The aws provider: CloudWatch, X-Ray, CloudWatch Logs and (optionally) EventBridge → SQS. */
export class AwsTelemetry implements Telemetry {
  readonly provider = 'aws' as const;
  readonly #o: AwsTelemetryOptions;
  readonly #listeners = new Set<(change: AlarmStateChange) => void>();
  #stopReader: (() => void) | undefined;

  constructor(options: AwsTelemetryOptions) {
    this.#o = options;
  }

  #name(alarm: string): string {
    const prefix = this.#o.alarmPrefix ?? '';
    return alarm.startsWith(prefix) ? alarm : `${prefix}${alarm}`;
  }

  #short(alarm: string): string {
    const prefix = this.#o.alarmPrefix ?? '';
    return prefix && alarm.startsWith(prefix) ? alarm.slice(prefix.length) : alarm;
  }

  #call<T>(what: string, call: () => Promise<T>): Promise<T> {
    return withAwsRetries(what, call, this.#o.retry);
  }

  async putMetricData(namespace: string, data: readonly MetricDatum[]): Promise<void> {
    for (let i = 0; i < data.length; i += 1000) {
      const chunk = data.slice(i, i + 1000).map((d) => ({ ...d, Unit: d.Unit as StandardUnit | undefined }));
      await this.#call('CloudWatch PutMetricData', () =>
        this.#o.clients.cloudwatch.send(
          new PutMetricDataCommand({ Namespace: namespace, MetricData: chunk }),
        ),
      );
    }
  }

  async getAlarmState(alarmName: string): Promise<AlarmStateValue | undefined> {
    const res = await this.#call('CloudWatch DescribeAlarms', () =>
      this.#o.clients.cloudwatch.send(
        new DescribeAlarmsCommand({ AlarmNames: [this.#name(alarmName)], AlarmTypes: BOTH_ALARM_TYPES }),
      ),
    );
    const alarm = res.MetricAlarms?.[0] ?? res.CompositeAlarms?.[0];
    return alarm?.StateValue as AlarmStateValue | undefined;
  }

  async listAlarmNames(): Promise<string[]> {
    const names: string[] = [];
    let NextToken: string | undefined;
    do {
      const res = await this.#call('CloudWatch DescribeAlarms', () =>
        this.#o.clients.cloudwatch.send(
          new DescribeAlarmsCommand({
            AlarmNamePrefix: this.#o.alarmPrefix || undefined,
            AlarmTypes: BOTH_ALARM_TYPES,
            NextToken,
          }),
        ),
      );
      for (const a of [...(res.MetricAlarms ?? []), ...(res.CompositeAlarms ?? [])]) {
        if (a.AlarmName) names.push(this.#short(a.AlarmName));
      }
      NextToken = res.NextToken;
    } while (NextToken);
    return names;
  }

  async getAlarmHistory(alarmName: string, window: { from: Date; to?: Date }): Promise<AlarmStateChange[]> {
    const out: AlarmStateChange[] = [];
    let NextToken: string | undefined;
    do {
      const res = await this.#call('CloudWatch DescribeAlarmHistory', () =>
        this.#o.clients.cloudwatch.send(
          new DescribeAlarmHistoryCommand({
            AlarmName: this.#name(alarmName),
            // As DescribeAlarms: without it a composite's history reads as empty.
            AlarmTypes: BOTH_ALARM_TYPES,
            HistoryItemType: 'StateUpdate',
            StartDate: window.from,
            EndDate: window.to ?? new Date(),
            ScanBy: 'TimestampAscending',
            NextToken,
          }),
        ),
      );
      for (const item of res.AlarmHistoryItems ?? []) {
        const change = parseHistoryData(
          this.#short(item.AlarmName ?? alarmName),
          item.Timestamp ?? new Date(),
          item.HistoryData ?? '',
          item.HistorySummary,
        );
        if (change) out.push(change);
      }
      NextToken = res.NextToken;
    } while (NextToken);
    return out.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  }

  onAlarmStateChange(listener: (change: AlarmStateChange) => void): () => void {
    this.#listeners.add(listener);
    const queueUrl = this.#o.alarmEventsQueueUrl;
    if (queueUrl && !this.#stopReader) {
      this.#stopReader = startAlarmEventsReader(
        this.#o.clients.sqs,
        queueUrl,
        (change) => {
          const short = { ...change, alarmName: this.#short(change.alarmName) };
          this.#o.timeline?.emit({
            type: 'alarm.state',
            alarm: short.alarmName,
            from: short.oldState,
            to: short.newState,
            reason: short.reason,
          });
          for (const l of this.#listeners) l(short);
        },
        { waitTimeSeconds: this.#o.queueWaitSeconds },
      );
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) {
        this.#stopReader?.();
        this.#stopReader = undefined;
      }
    };
  }

  /** Whether alarm state changes are pushed (an events queue is configured). */
  get pushesAlarmChanges(): boolean {
    return this.#o.alarmEventsQueueUrl !== undefined;
  }

  async findTraces(query: TraceQuery): Promise<TraceSummary[]> {
    const filter = buildXrayFilterExpression(query.attributes ?? {});
    const receivedAt = new Date();
    const out: TraceSummary[] = [];
    let NextToken: string | undefined;
    do {
      const res = await this.#call('X-Ray GetTraceSummaries', () =>
        this.#o.clients.xray.send(
          new GetTraceSummariesCommand({
            StartTime: query.from,
            EndTime: query.to ?? new Date(),
            ...(filter ? { FilterExpression: filter } : {}),
            NextToken,
          }),
        ),
      );
      for (const t of res.TraceSummaries ?? []) {
        const attributes: Record<string, AttributeValue> = {};
        for (const [key, values] of Object.entries(t.Annotations ?? {})) {
          const v = values[0]?.AnnotationValue;
          const value = v?.StringValue ?? v?.NumberValue ?? v?.BooleanValue;
          if (value !== undefined) attributes[key] = value;
        }
        // The emulator may not apply filter expressions: check annotations ourselves too.
        const wanted = Object.entries(query.attributes ?? {});
        if (!wanted.every(([k, v]) => attributeMatches(attributes[k.replace(/[^A-Za-z0-9_]/g, '_')], v)))
          continue;
        out.push({
          traceId: t.Id ?? '',
          startTime: t.StartTime ?? new Date(0),
          durationMs: (t.Duration ?? 0) * 1000,
          receivedAt,
          attributes,
          spanCount: 0,
        });
      }
      NextToken = res.NextToken;
    } while (NextToken && out.length < (query.limit ?? 100));
    return out.slice(0, query.limit ?? 100);
  }

  async findLogs(query: LogQuery): Promise<LogRecord[]> {
    const groups = this.#o.logGroups ?? [];
    const pattern = buildLogsFilterPattern(query.fields ?? {});
    const receivedAt = Date.now();
    const out: LogRecord[] = [];
    for (const group of groups) {
      let nextToken: string | undefined;
      do {
        const res = await this.#call('CloudWatch Logs FilterLogEvents', () =>
          this.#o.clients.logs.send(
            new FilterLogEventsCommand({
              logGroupName: group,
              startTime: query.from.getTime(),
              endTime: (query.to ?? new Date()).getTime(),
              ...(pattern ? { filterPattern: pattern } : {}),
              nextToken,
            }),
          ),
        );
        for (const e of res.events ?? []) {
          const record = parseLogLine(e.message ?? '', group, e.ingestionTime ?? receivedAt);
          record.timestamp = new Date(e.timestamp ?? record.timestamp.getTime());
          // The emulator does not apply JSON filter patterns: check fields ourselves too.
          if (!logRecordMatches(record, query)) continue;
          out.push(record);
        }
        nextToken = res.nextToken;
      } while (nextToken && out.length < (query.limit ?? 1000));
    }
    return out.slice(0, query.limit ?? 1000);
  }

  async getMetricStatistics(query: MetricStatisticsQuery): Promise<MetricStatisticsDatapoint[]> {
    const percentile = query.statistic.startsWith('p');
    const res = await this.#call('CloudWatch GetMetricStatistics', () =>
      this.#o.clients.cloudwatch.send(
        new GetMetricStatisticsCommand({
          Namespace: query.id.Namespace,
          MetricName: query.id.MetricName,
          Dimensions: query.id.Dimensions,
          StartTime: query.from,
          EndTime: query.to,
          Period: query.periodSeconds,
          ...(percentile
            ? { ExtendedStatistics: [query.statistic] }
            : { Statistics: [query.statistic as 'Average'] }),
        }),
      ),
    );
    return (res.Datapoints ?? [])
      .map((d) => ({
        timestamp: d.Timestamp ?? new Date(0),
        value: percentile
          ? (d.ExtendedStatistics?.[query.statistic] ?? Number.NaN)
          : ((d as Record<string, unknown>)[query.statistic] as number),
        sampleCount: d.SampleCount ?? 0,
      }))
      .filter((d) => Number.isFinite(d.value))
      .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  }

  /**
   * The alarm's own query (DescribeAlarms: its metric and statistic, or its metric math) read with
   * GetMetricData over the periods overlapping the window: the datapoints CloudWatch evaluated.
   */
  async getAlarmDatapoints(
    alarmName: string,
    window: { from: Date; to: Date },
  ): Promise<MetricStatisticsDatapoint[] | undefined> {
    const res = await this.#call('CloudWatch DescribeAlarms', () =>
      this.#o.clients.cloudwatch.send(
        new DescribeAlarmsCommand({ AlarmNames: [this.#name(alarmName)], AlarmTypes: BOTH_ALARM_TYPES }),
      ),
    );
    const composite = res.CompositeAlarms?.[0];
    if (composite) return this.#compositeDatapoints(composite.AlarmRule ?? '', window, new Set([alarmName]));
    const alarm = res.MetricAlarms?.[0];
    if (!alarm) return undefined;
    const queries = buildAlarmDataQueries(alarm);
    if (!queries) return [];
    const periodMs =
      (alarm.Period ??
        queries.find((q) => q.Period)?.Period ??
        queries.find((q) => q.MetricStat)?.MetricStat?.Period ??
        60) * 1000;
    // Periods are aligned to their length: start at the one holding `from`.
    const startTime = new Date(Math.floor(window.from.getTime() / periodMs) * periodMs);
    const endTime = new Date(Math.max(window.to.getTime(), startTime.getTime() + 1000));
    const out: MetricStatisticsDatapoint[] = [];
    let NextToken: string | undefined;
    do {
      const data = await this.#call('CloudWatch GetMetricData', () =>
        this.#o.clients.cloudwatch.send(
          new GetMetricDataCommand({
            MetricDataQueries: queries,
            StartTime: startTime,
            EndTime: endTime,
            ScanBy: 'TimestampAscending',
            NextToken,
          }),
        ),
      );
      const returned = data.MetricDataResults?.find((r) => r.Id === returnedId(queries));
      const timestamps = returned?.Timestamps ?? [];
      for (const [i, timestamp] of timestamps.entries()) {
        const value = returned?.Values?.[i];
        if (value !== undefined && Number.isFinite(value)) out.push({ timestamp, value, sampleCount: 0 });
      }
      NextToken = data.NextToken;
    } while (NextToken);
    return out
      .filter(
        (d) =>
          d.timestamp.getTime() < window.to.getTime() &&
          d.timestamp.getTime() + periodMs > window.from.getTime(),
      )
      .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  }

  /**
   * A composite has no datapoints of its own: its evidence is what the metric alarms its rule names
   * (at any depth) evaluated in the window, each labelled with its alarm (suite name).
   */
  async #compositeDatapoints(
    rule: string,
    window: { from: Date; to: Date },
    seen: Set<string>,
  ): Promise<MetricStatisticsDatapoint[]> {
    const out: MetricStatisticsDatapoint[] = [];
    for (const deployed of ruleAlarmNames(parseAlarmRule(rule))) {
      const name = this.#short(deployed);
      if (seen.has(name)) continue;
      seen.add(name);
      const res = await this.#call('CloudWatch DescribeAlarms', () =>
        this.#o.clients.cloudwatch.send(
          new DescribeAlarmsCommand({ AlarmNames: [deployed], AlarmTypes: BOTH_ALARM_TYPES }),
        ),
      );
      const child = res.CompositeAlarms?.[0];
      if (child) out.push(...(await this.#compositeDatapoints(child.AlarmRule ?? '', window, seen)));
      else if (res.MetricAlarms?.[0]) {
        for (const d of (await this.getAlarmDatapoints(name, window)) ?? []) out.push({ ...d, alarm: name });
      }
    }
    return out.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  }

  async close(): Promise<void> {
    this.#stopReader?.();
    this.#stopReader = undefined;
    for (const client of Object.values(this.#o.clients)) (client as { destroy(): void }).destroy();
  }
}

/** The aws provider for an environment (region, alarm prefix, log groups and queue from its `aws`). */
export async function createAwsTelemetry(
  env: ResolvedEnvironment,
  options: { timeline?: Timeline },
): Promise<AwsTelemetry> {
  const region = env.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  return new AwsTelemetry({
    clients: createAwsClients(region),
    alarmPrefix: env.aws?.alarmPrefix,
    logGroups: env.aws?.logGroups,
    alarmEventsQueueUrl: env.aws?.alarmEventsQueueUrl,
    timeline: options.timeline,
  });
}
