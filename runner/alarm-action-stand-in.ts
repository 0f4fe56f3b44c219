import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

/**
 * FOR TESTS AGAINST MOTO ONLY. moto stores an alarm's `AlarmActions` / `OKActions` but does not run
 * them when the alarm changes state (CloudWatch does). This stand-in does what CloudWatch would:
 * it watches the alarms (DescribeAlarms every `intervalMs`) and, on every change into ALARM or OK,
 * publishes CloudWatch's alarm message to the SNS topics among that state's actions. Everything
 * after the publish (SNS → SQS subscription → the drill reading the queue) is moto's real delivery.
 */
export function startAlarmActionStandIn(
  cloudwatch: CloudWatchClient,
  sns: SNSClient,
  options: { intervalMs?: number } = {},
): { published: { alarm: string; state: string; topic: string }[]; stop(): Promise<void> } {
  const seen = new Map<string, string>();
  const published: { alarm: string; state: string; topic: string }[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const res = await cloudwatch.send(new DescribeAlarmsCommand({})).catch(() => undefined);
      for (const alarm of res?.MetricAlarms ?? []) {
        const key = `${alarm.StateValue}@${alarm.StateUpdatedTimestamp?.toISOString()}`;
        const before = seen.get(alarm.AlarmName!);
        seen.set(alarm.AlarmName!, key);
        if (before === undefined || before === key) continue;
        const oldState = before.split('@')[0];
        if (oldState === alarm.StateValue) continue;
        const actions =
          alarm.StateValue === 'ALARM'
            ? alarm.AlarmActions
            : alarm.StateValue === 'OK'
              ? alarm.OKActions
              : [];
        if (alarm.ActionsEnabled === false) continue;
        for (const topic of (actions ?? []).filter((a) => a.split(':')[2] === 'sns')) {
          await sns.send(
            new PublishCommand({
              TopicArn: topic,
              Subject: `${alarm.StateValue}: "${alarm.AlarmName}"`,
              Message: JSON.stringify({
                AlarmName: alarm.AlarmName,
                AlarmDescription: alarm.AlarmDescription ?? null,
                AlarmArn: alarm.AlarmArn,
                NewStateValue: alarm.StateValue,
                NewStateReason: alarm.StateReason,
                OldStateValue: oldState,
                StateChangeTime: alarm.StateUpdatedTimestamp?.toISOString(),
                Region: topic.split(':')[3],
              }),
            }),
          );
          published.push({ alarm: alarm.AlarmName!, state: alarm.StateValue!, topic });
        }
      }
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
    }
  })();
  return {
    published,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
