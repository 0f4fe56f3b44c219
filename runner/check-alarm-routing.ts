import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { formatDuration } from '../core/duration.ts';
import { EnvironmentError } from '../core/errors.ts';
import type { Check } from '../core/run-result.ts';
import type { RunContext } from './stage.ts';

export interface RoutingCheck {
  check: Check;
  /** ms from the SetAlarmState call until CloudWatch recorded the executed action. */
  atMs: number | null;
}

/**
 * The routing half of an aws alert drill: `SetAlarmState` puts the deployed alarm into ALARM, which
 * makes CloudWatch run its alarm actions (the SNS topic of its severity), and the alarm history must
 * then show the action executed. The alarm returns to its real state at its next evaluation; the real
 * fault that follows proves the signal path.
 */
export async function checkAlarmRouting(
  context: Pick<RunContext, 'env' | 'clock' | 'signal'>,
  alarm: string,
  options: { client?: CloudWatchClient; timeoutMs?: number; pollMs?: number } = {},
): Promise<RoutingCheck> {
  const region = context.env.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  const client = options.client ?? new CloudWatchClient(region ? { region } : {});
  const name = `${context.env.aws?.alarmPrefix ?? ''}${alarm}`;
  const id = `drill:routing:${alarm}`;
  try {
    const described = await client.send(new DescribeAlarmsCommand({ AlarmNames: [name] }));
    const actions = described.MetricAlarms?.[0]?.AlarmActions ?? [];
    if (!described.MetricAlarms?.[0]) {
      throw new EnvironmentError(
        'aws-api',
        `alarm ${name} is not deployed in ${region ?? 'the default region'}`,
      );
    }
    if (actions.length === 0) {
      return {
        atMs: null,
        check: {
          id,
          kind: 'drill',
          name: `${alarm} routes its notification`,
          status: 'failed',
          measured: null,
          threshold: 'an alarm action runs',
          message: `alarm ${name} has no AlarmActions: nobody is notified when it fires`,
          stage: 'drill',
        },
      };
    }
    const setAt = context.clock.wall();
    const started = context.clock.now();
    await client.send(
      new SetAlarmStateCommand({
        AlarmName: name,
        StateValue: 'ALARM',
        StateReason: 'opsproof alert drill: routing check (SetAlarmState)',
      }),
    );
    const deadline = started + (options.timeoutMs ?? 60_000);
    while (context.clock.now() < deadline) {
      const history = await client.send(
        new DescribeAlarmHistoryCommand({ AlarmName: name, HistoryItemType: 'Action', StartDate: setAt }),
      );
      const item = history.AlarmHistoryItems?.find((h) =>
        /Successfully executed action/i.test(h.HistorySummary ?? ''),
      );
      const failedItem = history.AlarmHistoryItems?.find((h) =>
        /Failed to execute action/i.test(h.HistorySummary ?? ''),
      );
      if (item || failedItem) {
        const atMs = Math.round(context.clock.now() - started);
        return {
          atMs,
          check: {
            id,
            kind: 'drill',
            name: `${alarm} routes its notification`,
            status: item ? 'passed' : 'failed',
            measured: atMs,
            threshold: 'an alarm action runs',
            unit: 'ms',
            message: `${(item ?? failedItem)!.HistorySummary} (${formatDuration(atMs)} after SetAlarmState)`,
            stage: 'drill',
          },
        };
      }
      await context.clock.sleep(options.pollMs ?? 2000, context.signal);
    }
    return {
      atMs: null,
      check: {
        id,
        kind: 'drill',
        name: `${alarm} routes its notification`,
        status: 'failed',
        measured: null,
        threshold: 'an alarm action runs',
        message: `no alarm action of ${name} ran within ${formatDuration(options.timeoutMs ?? 60_000)} of SetAlarmState`,
        stage: 'drill',
      },
    };
  } catch (error) {
    if (error instanceof EnvironmentError || context.signal.aborted) throw error;
    throw new EnvironmentError('aws-api', `routing check of ${name} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
