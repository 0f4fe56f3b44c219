import { existsSync, lstatSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { formatDiagnostics } from '../core/diagnostics.ts';
import { ConfigError, EXIT, type ExitCode, isOpsproofError, UsageError } from '../core/errors.ts';
import type { LoadedSuite, ResolvedEnvironment, SuiteCheck } from '../core/load-config.ts';
import type { Redactor } from '../core/redact.ts';
import { exitCodeForStatus, type RunResult } from '../core/run-result.ts';
import { KPI_SYNTAX_HINT, parseThreshold, type Threshold } from '../core/threshold.ts';
import type { Reporter } from '../reports/reporter.ts';
import type { ExecuteRunInput } from '../runner/run.ts';
import type { RunOptions, Stage } from '../runner/stage.ts';

// Every command file imports this kit, and `opsproof --help` imports every command file: the kit
// imports only what parsing flags and printing errors need at load time. The runner, reporters and
// config loader are imported when a command runs.

/** Flags every run-like command takes. */
export interface CommonFlags {
  env: string;
  config?: string;
  out?: string;
  json?: boolean;
  /** `--history FILE` (history/README.md); `off` records nothing. */
  history?: string;
}

/** Adds `--env`, `--config`, `--out`, `--json` (pick the ones a command uses). */
export function addCommonFlags(
  command: Command,
  which: { env?: boolean; out?: boolean; json?: boolean; config?: boolean } = {},
): Command {
  const { env = true, out = true, json = true, config = true } = which;
  if (env) command.option('--env <name>', 'environment from the config', 'local');
  if (config) command.option('--config <file>', 'config file (default: ./opsproof.config.ts)');
  if (out) command.option('--out <dir>', 'run directory (default: reports/<run-id>/)');
  if (json) command.option('--json', 'print the RunResult as JSON on stdout (human output on stderr)');
  return command;
}

/** `--history FILE`: the run history database this command records into (or reads). */
export function addHistoryFlag(command: Command): Command {
  return command.option(
    '--history <file>',
    'run history database (default: $OPSPROOF_HISTORY, history.file, reports/history.db); off records nothing',
  );
}

/** Collects a repeatable option (`--kpi A --kpi B`) into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A check of one flag's value that throws a UsageError when it is wrong. */
export type UsageCheck = () => void;

/**
 * Every `--kpi` value parsed once, at the edge, into the threshold the run is held to
 * (core/threshold.ts); each bad one is a usage check that fails with the one KPI syntax hint, for
 * `validateUsage` to report with the command's other bad flags.
 */
export function parseKpiFlags(expressions: readonly string[] | undefined): {
  thresholds: Threshold[];
  checks: UsageCheck[];
} {
  const thresholds: Threshold[] = [];
  const checks: UsageCheck[] = [];
  for (const expression of expressions ?? []) {
    const parsed = parseThreshold(expression);
    if (parsed.ok) thresholds.push(parsed.threshold);
    else
      checks.push(() => {
        throw new UsageError(`--kpi ${parsed.error}`, { hint: KPI_SYNTAX_HINT });
      });
  }
  return { thresholds, checks };
}

/**
 * Runs every check before anything starts and throws one UsageError naming every bad flag value
 * (exit 2), so users fix them all at once rather than one run at a time.
 */
export function validateUsage(checks: readonly UsageCheck[]): void {
  const errors: UsageError[] = [];
  for (const check of checks) {
    try {
      check();
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      errors.push(error);
    }
  }
  if (errors.length === 0) return;
  if (errors.length === 1) throw errors[0];
  const hints = [...new Set(errors.flatMap((e) => (e.hint ? [e.hint] : [])))];
  throw new UsageError(
    `${errors.length} problems with the arguments:\n${errors.map((e) => `  - ${e.message}`).join('\n')}`,
    hints.length > 0 ? { hint: hints.join('; ') } : undefined,
  );
}

/** `--only STAGE…` / `--skip STAGE…` for commands that run several stages. */
export function addStageSelectionFlags(command: Command): Command {
  return command
    .addOption(new Option('--only <stage...>', 'run only these stages'))
    .addOption(new Option('--skip <stage...>', 'skip these stages'));
}

/** A `--url` value: an http(s) URL without trailing slashes, or a usage error. */
export function parseUrlFlag(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
    return url.replace(/\/+$/, '');
  } catch {
    throw new UsageError(`--url expects an http(s) URL, got "${url}"`);
  }
}

/** Where human output goes: always stderr, so stdout stays machine-readable. */
export const human: NodeJS.WritableStream = process.stderr;

export function printHuman(text: string): void {
  human.write(text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * Loads the config and resolves `--env`. With `adhocUrl` (a command's `--url`) the environment's
 * target is that URL; with no config file in the working directory and no `--config` either, runs
 * against a one-environment suite for that URL, so ad hoc runs work outside a project. `check`
 * (runner/validate-run.ts `checkRun`) adds what the run would meet part-way to the config's
 * problems: all of them exit 2 together, before anything runs.
 */
export async function loadCommandContext(
  flags: Pick<CommonFlags, 'env' | 'config'>,
  options: {
    adhocUrl?: string;
    check?: SuiteCheck;
    /** Run against the one-environment suite for `adhocUrl` even when a config is in the folder. */
    adhocOnly?: boolean;
  } = {},
): Promise<{ loaded: LoadedSuite; env: ResolvedEnvironment }> {
  const { CONFIG_FILE_NAMES, applySuiteCheck, loadSuite, resolveEnvironment } = await import(
    '../core/load-config.ts'
  );
  const cwd = process.cwd();
  const noConfig = !flags.config && !CONFIG_FILE_NAMES.some((name) => existsSync(resolve(cwd, name)));
  if (options.adhocUrl && (noConfig || options.adhocOnly)) {
    const adhoc = await buildAdhocSuite(options.adhocUrl, flags.env, cwd);
    const loaded = await applySuiteCheck(adhoc, [], options.check, adhoc.file);
    return { loaded, env: resolveEnvironment(loaded.suite, flags.env) };
  }
  const loaded = await loadSuite({
    config: flags.config,
    ...(options.check ? { check: options.check } : {}),
  });
  const env = resolveEnvironment(loaded.suite, flags.env);
  // `--url` stands in for the environment's target, also in result.json and the reports; with several
  // named targets it replaces them all (the run has one target, and names of targets are ignored).
  if (!options.adhocUrl) return { loaded, env };
  const { targets: _replaced, ...single } = env;
  return { loaded, env: { ...single, target: options.adhocUrl } };
}

async function buildAdhocSuite(url: string, envName: string, cwd: string): Promise<LoadedSuite> {
  const { validateSuite } = await import('../core/validate-suite.ts');
  const { suite, diagnostics } = validateSuite({
    service: 'adhoc',
    environments: { [envName]: { target: url } },
  });
  if (!suite)
    throw new ConfigError(`ad hoc run against ${url}:\n${formatDiagnostics(diagnostics)}`, diagnostics);
  return { suite, file: resolve(cwd, '(ad hoc)'), dir: cwd, warnings: [] };
}

/**
 * The run directory: `--out` when given, else `reports/<run-id>/` under the working directory, with
 * `reports/latest` pointing at it.
 */
export function prepareRunDir(runId: string, out?: string, cwd = process.cwd()): string {
  if (out) {
    const dir = resolve(cwd, out);
    mkdirSync(dir, { recursive: true });
    return dir;
  }
  const dir = resolve(cwd, 'reports', runId);
  mkdirSync(dir, { recursive: true });
  linkLatest(dir);
  return dir;
}

/** Points `<parent>/latest` at `dir` (a relative symlink, replaced atomically enough for one user). */
export function linkLatest(dir: string): void {
  const link = resolve(dirname(dir), 'latest');
  try {
    if (existsSync(link) || lstatSync(link, { throwIfNoEntry: false })) rmSync(link, { force: true });
    symlinkSync(basename(dir), link, 'dir');
  } catch {
    // A missing `latest` link never fails a run.
  }
}

export interface RunCommandInput {
  command: string;
  stages: readonly Stage[];
  flags: CommonFlags;
  options?: Partial<RunOptions>;
  /** Extra reporters (on top of progress and the run-directory files), told before the files are written. */
  reporters?: Reporter[];
  /** Passed through to `executeRun` (tests, engines that need the target's logs). */
  run?: Partial<
    Pick<ExecuteRunInput, 'onTargetLog' | 'telemetry' | 'startTarget' | 'embeddedAlarms' | 'faultGateway'>
  >;
  /** The config and environment, when the command loaded them already (`loadCommandContext`). */
  context?: { loaded: LoadedSuite; env: ResolvedEnvironment };
}

/**
 * The run's secrets, resolved once (exit 3 when one is missing): the environment with its headers
 * carrying their values, and the redactor built from them and the suite's `redact` literals — the one
 * list that text artifacts are redacted against and canary screenshots masked against.
 */
export async function loadRunSecrets(context: {
  loaded: LoadedSuite;
  env: ResolvedEnvironment;
}): Promise<{ env: ResolvedEnvironment; redactor: Redactor }> {
  const [{ createRedactor }, { expandHeaders, resolveSecrets }] = await Promise.all([
    import('../core/redact.ts'),
    import('../core/secrets.ts'),
  ]);
  const secrets = await resolveSecrets(context.env);
  const env = context.env.headers
    ? { ...context.env, headers: expandHeaders(context.env.headers, secrets) }
    : context.env;
  const redactor = createRedactor({ secrets: [...Object.values(secrets), ...context.loaded.suite.redact] });
  return { env, redactor };
}

/**
 * The whole life of a run-like command: config + env, run directory, stages through the runner,
 * reporters, terminal summary, exit code. Domain commands call this with their stages.
 */
export async function runStagesCommand(input: RunCommandInput): Promise<ExitCode> {
  // The config first: a mistake in it is reported before the runner and reporters are loaded.
  const context = input.context ?? (await loadCommandContext(input.flags));
  const [
    { formatSummary, shouldUseColor },
    { createProgressReporter },
    { ReporterMultiplexer },
    { createRunDirReporters },
    { createInterruptSignal, createRunId, executeRun },
    { redactRunDir },
    { createRedactingReporter },
    { createHistoryReporter },
    { resolveHistoryFile },
  ] = await Promise.all([
    import('../reports/format-summary.ts'),
    import('../reports/progress-reporter.ts'),
    import('../reports/reporter.ts'),
    import('../reports/run-dir-reporters.ts'),
    import('../runner/run.ts'),
    import('../security/redact-run-dir.ts'),
    import('../security/redacting-reporter.ts'),
    import('../history/create-history-reporter.ts'),
    import('../history/resolve-history-file.ts'),
  ]);
  const { loaded } = context;
  const historyFile = resolveHistoryFile({
    flag: input.flags.history,
    configFile: loaded.suite.history?.file,
    configDir: loaded.dir,
  });
  // Every byte written or printed from here on goes through the run's redactor.
  const { env, redactor } = await loadRunSecrets(context);
  const runId = createRunId();
  const outDir = prepareRunDir(runId, input.flags.out);
  // In order: each reporter gets the result with what the ones before it added, and result.json (last
  // of the run-directory reporters) is written once with all of it.
  const multiplexer = new ReporterMultiplexer([
    createProgressReporter({ stream: human }),
    ...(input.reporters ?? []),
    ...createRunDirReporters({ outDir, redact: redactor.text }),
    // Last, so it files the run as every report shows it; a failed write is only a warning.
    ...(historyFile ? [createHistoryReporter({ file: historyFile, runDir: outDir, cwd: loaded.dir })] : []),
  ]);
  const interrupt = createInterruptSignal();
  let result: RunResult;
  try {
    result = await executeRun({
      command: input.command,
      stages: input.stages,
      loaded,
      env,
      options: { ...input.options, redact: redactor.text },
      outDir,
      runId,
      reporter: createRedactingReporter(multiplexer, redactor),
      signal: interrupt.signal,
      ...input.run,
    });
  } finally {
    interrupt.dispose();
    // Whatever a stage wrote into the run directory (snippets, HAR, k6 output) is redacted too.
    redactRunDir(outDir, redactor);
  }
  for (const failure of multiplexer.failures) {
    printHuman(
      redactor.text(
        `warning: reporter ${failure.reporter} failed in ${failure.hook}: ${String(failure.error)}`,
      ),
    );
  }
  // The result with the reporters' additions (report.png): the value result.json holds.
  const safe = redactor.value(result);
  printHuman(
    redactor.text(
      formatSummary(safe, {
        runDir: relativePath(outDir),
        reportPath: relativePath(resolve(outDir, 'report.html')),
        color: shouldUseColor(process.stderr),
      }),
    ),
  );
  if (input.flags.json) process.stdout.write(`${redactor.text(JSON.stringify(safe, null, 2))}\n`);
  return exitCodeForStatus(result.status);
}

function relativePath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

/**
 * Turns anything thrown into text on stderr and an exit code. Users never see a stack trace for a
 * mistake they can fix; unknown errors show one only with `OPSPROOF_DEBUG=1`.
 */
export function formatErrorForExit(
  error: unknown,
  env: NodeJS.ProcessEnv = process.env,
): { text: string; code: ExitCode } {
  if (isOpsproofError(error)) {
    const lines = [`error: ${error.message}`];
    if (error instanceof ConfigError && error.diagnostics.length > 0 && !error.message.includes('\n')) {
      lines.push(formatDiagnostics(error.diagnostics));
    }
    if (error.hint) lines.push(`hint: ${error.hint}`);
    return { text: lines.join('\n'), code: error.exitCode };
  }
  const debug = env.OPSPROOF_DEBUG === '1';
  const message = error instanceof Error ? error.message : String(error);
  const text =
    debug && error instanceof Error && error.stack
      ? `internal error: ${error.stack}`
      : `internal error: ${message}\n(set OPSPROOF_DEBUG=1 for the stack trace)`;
  return { text, code: EXIT.environment };
}
