/**
 * The port through which the local engine faults the processes of named local targets
 * (`environments.X.targets`). The runner implements it over the targets it started
 * (`runner/process-faults.ts`); the engine never reaches into the runner (DESIGN.md, folders).
 *
 * A target is named as in the config; `''` is the environment's default target. Every method
 * throws for a target it does not know or did not start.
 */
export interface ProcessFaults {
  /** The targets whose process this run started, so a fault can act on them (`''`: the default one). */
  targets(): string[];
  /** SIGKILL to the target's process group; resolves once it exited. */
  kill(target: string): Promise<ProcessExit>;
  /** SIGTERM, then SIGKILL when it has not exited within a grace period; resolves once it exited. */
  stop(target: string): Promise<ProcessExit>;
  /** SIGSTOP to the target's process group. */
  pause(target: string): Promise<{ pid: number | undefined }>;
  /**
   * Starts a killed or stopped target again (a running one is left as it is) and waits until it is
   * ready (its `readyPath`, or `readyTcp`). When `signal` aborts first the target is left starting
   * and this answers `false`; when it exits or never becomes ready within its ready timeout, throws.
   */
  start(target: string, signal?: AbortSignal): Promise<boolean>;
  /** SIGCONT to a paused target, then waits until it is ready, as {@link start}. */
  resume(target: string, signal?: AbortSignal): Promise<boolean>;
}

/** How a faulted process ended. */
export interface ProcessExit {
  pid: number | undefined;
  code: number | null;
  signal: string | null;
}

/** `db`, or "the default target" for `''`, for messages. */
export function formatTargetName(target: string): string {
  return target === '' ? 'the default target' : target;
}
