import type { Clock } from '../core/clock.ts';
import { formatDuration, parseDurationStrict } from '../core/duration.ts';
import type { Expectation } from '../core/schema.ts';
import type { Telemetry } from '../telemetry/port.ts';
import type { AlarmStateValue } from '../telemetry/types.ts';

export interface SteadyState {
  /** No alarm was in ALARM, and the provider knew every one. */
  met: boolean;
  /** The state last read of each alarm (`undefined`: the provider does not know it). */
  states: Record<string, AlarmStateValue | undefined>;
  /** `steady state met: A OK, B INSUFFICIENT_DATA` or `steady state not met: B is ALARM, …`. */
  message: string;
}

/**
 * Whether alarm states make a steady state to inject a fault from: no alarm in ALARM (a fault started
 * from ALARM can prove nothing about it) and every alarm known. INSUFFICIENT_DATA is allowed: every
 * alarm starts there, and the checks themselves need a transition after the fault. Pure.
 */
export function judgeSteadyState(
  states: Record<string, AlarmStateValue | undefined>,
  waitedMs?: number,
): SteadyState {
  const entries = Object.entries(states);
  const off = entries.filter(([, state]) => state === undefined || state === 'ALARM');
  if (off.length === 0) {
    return {
      met: true,
      states,
      message: `steady state met: ${entries.map(([a, state]) => `${a} ${state}`).join(', ')}`,
    };
  }
  const waited = waitedMs === undefined ? '' : ` after waiting ${formatDuration(waitedMs)}`;
  return {
    met: false,
    states,
    message: `steady state not met: ${off.map(([a, state]) => `${a} is ${state ?? 'unknown to the provider'}`).join(', ')}${waited}`,
  };
}

/** How long a steady state is waited for when no expectation gives a deadline. */
const DEFAULT_STEADY_WAIT_MS = 10_000;

/**
 * The alarms an experiment's expectations name (the steady state to check before its fault) and how
 * long to wait for them to be OK: the longest `within` among them. Pure.
 */
export function steadyStateOf(expectations: readonly Expectation[]): { alarms: string[]; timeoutMs: number } {
  const alarmChecks = expectations.filter((e) => 'alarm' in e);
  const withins = alarmChecks.flatMap((e) =>
    'within' in e ? [parseDurationStrict(e.within, 'within')] : [],
  );
  return {
    alarms: [...new Set(alarmChecks.map((e) => ('alarm' in e ? e.alarm : '')))],
    timeoutMs: withins.length > 0 ? Math.max(...withins) : DEFAULT_STEADY_WAIT_MS,
  };
}

/**
 * Waits while a named alarm is in ALARM (or unknown), at most `timeoutMs`, and judges the states last
 * read. Drills and the chaos stage call it before injecting: a fault started from ALARM proves nothing.
 */
export async function waitForSteadyState(
  alarms: readonly string[],
  options: {
    telemetry: Telemetry;
    clock: Clock;
    signal: AbortSignal;
    timeoutMs: number;
    /** @defaultValue 200 */
    pollIntervalMs?: number;
  },
): Promise<SteadyState> {
  const { telemetry, clock, signal } = options;
  const names = [...new Set(alarms)];
  const startedAt = clock.now();
  const read = async () =>
    Object.fromEntries(
      await Promise.all(names.map(async (a) => [a, await telemetry.getAlarmState(a)] as const)),
    );
  let states = await read();
  while (!judgeSteadyState(states).met && clock.now() - startedAt < options.timeoutMs) {
    await clock.sleep(options.pollIntervalMs ?? 200, signal);
    states = await read();
  }
  const verdict = judgeSteadyState(states);
  return verdict.met ? verdict : judgeSteadyState(states, Math.round(clock.now() - startedAt));
}
