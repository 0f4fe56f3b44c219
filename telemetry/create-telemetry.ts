import type { Clock } from '../core/clock.ts';
import type { ResolvedEnvironment } from '../core/load-config.ts';
import type { Suite } from '../core/schema.ts';
import type { Timeline } from '../core/timeline.ts';
import { EmbeddedTelemetry } from './embedded/embedded-telemetry.ts';
import type { Telemetry } from './port.ts';

export interface CreateTelemetryOptions {
  suite: Suite;
  timeline?: Timeline;
  clock?: Clock;
  /** Embedded: start the OTLP receiver. @defaultValue true */
  otlp?: boolean;
  /** Embedded: removes secrets from captured log lines before they are stored. */
  redactLog?: (line: string) => string;
}

/**
 * The telemetry provider for an environment: `embedded` (in this process; started, with the suite's
 * alarms loaded, the OTLP receiver listening and the alarm timer running) or `aws` (CloudWatch,
 * X-Ray, Logs; alarms are the deployed ones, named `aws.alarmPrefix` + AlarmName).
 */
export async function createTelemetry(
  env: ResolvedEnvironment,
  options: CreateTelemetryOptions,
): Promise<Telemetry> {
  if (env.provider === 'aws') {
    const { createAwsTelemetry } = await import('./aws/aws-telemetry.ts');
    return createAwsTelemetry(env, options);
  }
  const telemetry = new EmbeddedTelemetry({
    // Single-metric, math and composite alike, on the evaluator `alarms test` uses.
    alarms: options.suite.alarms,
    timeScale: env.timeScale,
    timeline: options.timeline,
    clock: options.clock,
    ...(options.redactLog ? { redactLog: options.redactLog } : {}),
  });
  return telemetry.start({ otlp: options.otlp ?? true });
}

/** The embedded provider behind a Telemetry, when it is one (for the OTLP URL and log capture). */
export function asEmbedded(telemetry: Telemetry): EmbeddedTelemetry | undefined {
  return telemetry instanceof EmbeddedTelemetry ? telemetry : undefined;
}
