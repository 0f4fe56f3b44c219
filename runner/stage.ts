import type { ProcessExit } from '../chaos/process-faults.ts';
import type { Clock } from '../core/clock.ts';
import type { LoadedSuite, ResolvedEnvironment } from '../core/load-config.ts';
import type {
  Artifact,
  CanaryRunResult,
  Check,
  DrillReport,
  ExpectationResult,
  ExperimentJournal,
  LoadSummary,
  PreviousDrill,
  StageName,
} from '../core/run-result.ts';
import type { Threshold } from '../core/threshold.ts';
import type { Timeline } from '../core/timeline.ts';
import type { BaselineReference } from '../load/evaluate-baseline.ts';
import type { Telemetry } from '../telemetry/port.ts';

/** Options from the command line that stages read. */
export interface RunOptions {
  /** KPI overrides from `--kpi`, parsed once by the CLI (core/threshold.ts). */
  kpis: Threshold[];
  allowProduction: boolean;
  dryRun: boolean;
  /** Baseline result.json to compare load against. */
  baseline?: string;
  /** A baseline resolved by the CLI (`--baseline latest-passed | RUN_ID | FILE`, with history's spread). */
  baselineReference?: BaselineReference;
  /** The previous drill of the same name and environment (from the run history), compared with. */
  previousDrill?: PreviousDrill;
  /** Removes secrets from text a stage writes into the run directory (snippets, HAR, logs). */
  redact?: (text: string) => string;
}

/** A target started for the run (the demo service, or `environments.X.start`). */
export interface StartedTarget {
  /** URL clients use: through the fault gateway when one runs. */
  url: string;
  /** The service's own URL, behind the gateway. */
  directUrl: string;
  /** Fault gateway control API, when the run started one. */
  controlUrl?: string;
  /** Process id of the target, when opsproof started it. */
  pid?: number;
  /** Process faults, when opsproof started the process. */
  process?: {
    /** Signals the process group (SIGTERM, SIGKILL after a grace period) and resolves once it exited. */
    kill(signal?: NodeJS.Signals): Promise<ProcessExit>;
    restart(): Promise<void>;
    /**
     * Spawns the target again unless it runs, and waits until it is ready; `false` when `signal`
     * aborted the wait first (the process is left starting). Throws when it does not become ready.
     */
    start(signal?: AbortSignal): Promise<boolean>;
    /** Waits until the running target is ready (after SIGCONT), as {@link start}. */
    waitUntilReady(signal?: AbortSignal): Promise<boolean>;
    pause(): void;
    resume(): void;
    readonly running: boolean;
  };
  stop(): Promise<void>;
}

/** Everything a stage gets. Stages emit on the timeline and return their part of the result. */
export interface RunContext {
  runId: string;
  command: string;
  loaded: LoadedSuite;
  env: ResolvedEnvironment;
  /** Base URL the stages hit (the started target's gateway URL, or the environment's target). */
  targetUrl: string;
  target: StartedTarget | undefined;
  /**
   * The environment's named targets other than the default one (`environments.X.targets`), as the run
   * reaches them: `url` through the target's own fault gateway when one runs. The default target is
   * `targetUrl`/`target`. Pick one with `resolveStageTarget`.
   */
  targets?: Record<string, { url: string; target: StartedTarget | undefined }>;
  timeline: Timeline;
  telemetry: Telemetry;
  clock: Clock;
  /** Aborted on Ctrl-C / SIGTERM: stop work, clear faults, return. */
  signal: AbortSignal;
  /** Run directory (absolute); artifacts are written under it. */
  outDir: string;
  options: RunOptions;
}

/** A stage's contribution to the RunResult; the runner merges these in order. */
export interface StageOutcome {
  checks?: Check[];
  load?: LoadSummary;
  canaries?: CanaryRunResult[];
  experiments?: ExperimentJournal[];
  expectations?: ExpectationResult[];
  drill?: DrillReport;
  artifacts?: Artifact[];
  /** Set when the stage had nothing to do. */
  skipped?: string;
}

/**
 * Thrown by a stage that its signal stopped part-way but that has results to report (a load cut short
 * by Ctrl-C): the runner keeps `partial` in the RunResult, and the stage and run still count as
 * interrupted. The message is the signal's reason's.
 */
export class StageInterruptedError extends Error {
  override readonly name = 'StageInterruptedError';
  readonly partial: StageOutcome;
  constructor(reason: unknown, partial: StageOutcome) {
    super(reason instanceof Error ? reason.message : String(reason), { cause: reason });
    this.partial = partial;
  }
}

export interface Stage {
  readonly name: StageName;
  run(context: RunContext): Promise<StageOutcome>;
}
