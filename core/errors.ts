import type { Diagnostic } from './diagnostics.ts';

/**
 * Exit codes of the CLI contract (DESIGN.md). Only `cli/` turns errors into these; everything else
 * throws typed errors carrying structured fields.
 */
export const EXIT = {
  passed: 0,
  failed: 1,
  usage: 2,
  environment: 3,
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Base of every error a user can act on. `cli/` prints `message` (and `hint`) without a stack trace. */
export abstract class OpsproofError extends Error {
  abstract readonly exitCode: ExitCode;
  /** One sentence on what to do about it, when we know. */
  readonly hint: string | undefined;
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options?.hint;
  }
}

/** Bad flags or arguments. Exit 2. */
export class UsageError extends OpsproofError {
  override readonly name = 'UsageError';
  readonly exitCode = EXIT.usage;
}

/** The suite config (or another input file) is invalid; carries every problem found. Exit 2. */
export class ConfigError extends OpsproofError {
  override readonly name = 'ConfigError';
  readonly exitCode = EXIT.usage;
  readonly diagnostics: readonly Diagnostic[];
  readonly file: string | undefined;
  constructor(
    message: string,
    diagnostics: readonly Diagnostic[],
    options?: { file?: string; hint?: string; cause?: unknown },
  ) {
    super(message, options);
    this.diagnostics = diagnostics;
    this.file = options?.file;
  }
}

/** What kind of environment problem stopped the run. */
export type EnvironmentProblem =
  | 'target-unreachable'
  | 'tool-missing'
  | 'credentials'
  | 'aws-api'
  | 'port-in-use'
  | 'process'
  | 'other';

/** The environment is not as the run needs it: target down, tool missing, AWS refusing. Exit 3. */
export class EnvironmentError extends OpsproofError {
  override readonly name = 'EnvironmentError';
  readonly exitCode = EXIT.environment;
  readonly problem: EnvironmentProblem;
  constructor(problem: EnvironmentProblem, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options);
    this.problem = problem;
  }
}

/** The run was interrupted (Ctrl-C, SIGTERM) after clean-up finished. Exit 130. */
export class InterruptedError extends OpsproofError {
  override readonly name = 'InterruptedError';
  readonly exitCode = EXIT.interrupted;
  readonly signal: string;
  constructor(signal: string, message = `interrupted by ${signal}`) {
    super(message);
    this.signal = signal;
  }
}

export function isOpsproofError(error: unknown): error is OpsproofError {
  return error instanceof OpsproofError;
}

/** A short, single-line description of any thrown value, for check messages and journals. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause && !error.message.includes(cause.slice(2)) ? cause : ''}`;
  }
  return String(error);
}
