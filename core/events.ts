import type { AlarmStateValue, CheckStatus, JournalStatus, RunStatus, StageName } from './statuses.ts';

/**
 * Typed events on the Timeline. Engines emit them; reporters, expectations and reports read them.
 * A discriminated union on `type`: add a member here to add an event.
 */
export type TimelineEvent =
  | { type: 'run.start'; runId: string; command: string; env: string; target: string | null }
  | { type: 'run.end'; status: RunStatus }
  | { type: 'stage.start'; stage: StageName }
  | { type: 'stage.end'; stage: StageName; status: CheckStatus; durationMs: number; message?: string }
  | { type: 'progress'; stage?: StageName; message: string; level?: 'info' | 'warn' }
  | { type: 'check'; id: string; name: string; status: CheckStatus; message: string }
  | { type: 'target.start'; name: string; pid?: number; url: string }
  | { type: 'target.exit'; name: string; pid?: number; code: number | null; signal: string | null }
  | { type: 'canary.start'; canary: string; attempt: number }
  | {
      type: 'canary.step';
      canary: string;
      step: string;
      status: 'passed' | 'failed' | 'skipped';
      durationMs: number;
      error?: string;
    }
  | {
      type: 'canary.end';
      canary: string;
      status: 'passed' | 'failed';
      durationMs: number;
      error?: string;
      /** The gate runs canaries twice; `canaries-after` names the run after chaos. */
      stage?: StageName;
    }
  | {
      type: 'load.start';
      profile: string;
      engine: string;
      model: 'open' | 'closed';
      rate?: number;
      durationMs: number;
    }
  | {
      type: 'load.tick';
      profile: string;
      /** Seconds since load start. */
      second: number;
      rps: number;
      errors: number;
      p50: number;
      p99: number;
      inFlight: number;
      dropped: number;
      /** Connections open at the tick (the open engine). */
      connections?: number;
    }
  | {
      type: 'load.end';
      profile: string;
      requests: number;
      errors: number;
      dropped: number;
      /**
       * The load stopped early: after a failure the counts are 0; after Ctrl-C they are what was measured
       * until then.
       */
      aborted?: boolean;
    }
  | { type: 'experiment.start'; experiment: string; engine: 'local' | 'fis'; dryRun: boolean }
  | { type: 'experiment.end'; experiment: string; status: JournalStatus; deviated: boolean }
  | { type: 'action.start'; experiment: string; action: string; actionId: string }
  | {
      type: 'action.end';
      experiment: string;
      action: string;
      actionId: string;
      status: string;
      error?: string;
    }
  | {
      type: 'fault.start';
      faultId: string;
      spec: string;
      experiment?: string;
      action?: string;
      where: string;
    }
  | {
      type: 'fault.end';
      faultId: string;
      reason: 'completed' | 'ttl' | 'cleared' | 'stopped' | 'interrupted';
    }
  | { type: 'alarm.state'; alarm: string; from: AlarmStateValue; to: AlarmStateValue; reason: string }
  | { type: 'trace.seen'; traceId: string; lagMs: number; query: string }
  | { type: 'log.seen'; lagMs: number; query: string }
  | {
      type: 'expectation';
      name: string;
      status: CheckStatus;
      measuredMs: number | null;
      deadlineMs: number | null;
      message: string;
    };

export type TimelineEventType = TimelineEvent['type'];
export type EventOf<T extends TimelineEventType> = Extract<TimelineEvent, { type: T }>;

/** An event as recorded: `t` is monotonic ms since the run started, `at` the wall clock (ISO). */
export type TimelineRecord = TimelineEvent & { t: number; at: string };
export type RecordOf<T extends TimelineEventType> = EventOf<T> & { t: number; at: string };
