import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDurationStrict } from '../core/duration.ts';
import { EnvironmentError } from '../core/errors.ts';
import type { LoadSummary } from '../core/run-result.ts';
import type { LoadProfile } from '../core/schema.ts';
import type { Threshold } from '../core/threshold.ts';
import { findTool, TOOL_INSTALL_HINTS } from '../core/tools.ts';
import { whenAborted } from '../core/when-aborted.ts';
import { buildK6Script } from './build-k6-script.ts';
import { interruptedLoad } from './load-interrupted-error.ts';
import type { EngineOptions } from './open-engine.ts';
import { k6RunDurationMs, parseK6Summary } from './parse-k6-summary.ts';

/** Lines of k6's stderr kept for error messages. */
const STDERR_TAIL = 20;

export interface K6EngineOptions extends EngineOptions {
  /** KPIs, passed to k6 as its thresholds too. */
  thresholds?: readonly Threshold[];
  /** k6 binary. @defaultValue findTool('k6') */
  k6Path?: string;
  /** Directory the script and summary are written to (kept); a temporary one otherwise. */
  workDir?: string;
}

/** The k6 binary, or an EnvironmentError with the install hint. */
export function findK6(): string {
  const path = findTool('k6');
  if (!path) {
    throw new EnvironmentError('tool-missing', 'k6 is not installed (needed for --engine k6)', {
      hint: TOOL_INSTALL_HINTS.k6,
    });
  }
  return path;
}

/**
 * Runs the profile with the real k6: generates the TypeScript script, runs `k6 run` with
 * `--summary-export`, and reads the summary into a LoadSummary. k6's own threshold verdict (exit 99)
 * is not an error here: opsproof evaluates the same KPIs from the summary.
 */
export async function runK6Engine(profile: LoadProfile, options: K6EngineOptions): Promise<LoadSummary> {
  const k6 = options.k6Path ?? findK6();
  const name = options.name ?? 'adhoc';
  const dir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'opsproof-k6-')));
  const script = join(dir, `${name}.k6.ts`);
  const summaryFile = join(dir, `${name}.k6-summary.json`);
  await writeFile(script, buildK6Script(profile, { name, thresholds: options.thresholds ?? [] }));
  const warmupMs = parseDurationStrict(profile.warmup, 'warmup');
  const totalMs =
    profile.stages?.length && profile.model === 'open'
      ? profile.stages.reduce((sum, s) => sum + parseDurationStrict(s.duration), 0)
      : warmupMs + parseDurationStrict(profile.duration);
  const timeoutMs = parseDurationStrict(profile.timeout);
  const summaryContext = {
    profile: name,
    target: options.target,
    model: profile.model,
    requestNames: profile.requests.map((r) => r.name ?? `${r.method} ${r.path}`),
  };
  const start = performance.now();
  try {
    const { code, stderr } = await runProcess(
      k6,
      ['run', '--quiet', '--no-color', '--summary-export', summaryFile, script],
      {
        env: {
          ...process.env,
          TARGET: options.target,
          OPSPROOF_HEADERS: JSON.stringify(options.headers ?? {}),
          K6_NO_USAGE_REPORT: 'true',
        },
        signal: options.signal,
        // k6 stops gracefully on SIGINT; it gets the run plus its graceful stop and a margin.
        deadlineMs: totalMs + timeoutMs + 60_000,
      },
    );
    if (options.signal?.aborted) {
      // k6 stops on SIGINT and still writes its summary: keep what it measured, over the time k6's
      // test ran (its own figure; the process's wall clock would count k6's start-up as load).
      const partial = await readFile(summaryFile, 'utf8')
        .then((text) => {
          const ranMs = Math.min(k6RunDurationMs(text) ?? performance.now() - start, totalMs);
          return parseK6Summary(text, {
            ...summaryContext,
            durationMs: Math.round(Math.max(ranMs - warmupMs, 0)),
          });
        })
        .catch(() => undefined);
      throw partial ? interruptedLoad(options.signal.reason, partial) : options.signal.reason;
    }
    if (code !== 0 && code !== 99) {
      throw new EnvironmentError('process', `k6 exited with code ${code}: ${tail(stderr) || 'no output'}`, {
        hint: code === 107 ? 'the generated script failed in k6; check the k6 version' : undefined,
      });
    }
    let text: string;
    try {
      text = await readFile(summaryFile, 'utf8');
    } catch {
      throw new EnvironmentError(
        'process',
        `k6 wrote no summary (${summaryFile}): ${tail(stderr) || 'no output'}`,
      );
    }
    const timeline = options.timeline;
    const summary = parseK6Summary(text, { ...summaryContext, durationMs: Math.max(totalMs - warmupMs, 0) });
    // k6 reports at the end only; one tick keeps the Timeline's shape for reports.
    timeline?.emit({
      type: 'load.tick',
      profile: name,
      second: Math.round((performance.now() - start) / 1000),
      rps: summary.rps,
      errors: summary.errors,
      p50: summary.latencyMs.p50,
      p99: summary.latencyMs.p99,
      inFlight: 0,
      dropped: summary.dropped,
    });
    return summary;
  } finally {
    if (!options.workDir) await rm(dir, { recursive: true, force: true });
  }
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-STDERR_TAIL).join('\n');
}

/** Spawns a process, bounded in time, stopped (SIGINT, then SIGKILL) on abort. */
function runProcess(
  file: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; signal?: AbortSignal; deadlineMs: number },
): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: options.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-16_384);
    });
    const stop = () => {
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    };
    const deadline = setTimeout(stop, options.deadlineMs);
    const unsubscribe = whenAborted(options.signal, stop);
    child.once('error', (error) => {
      clearTimeout(deadline);
      reject(
        new EnvironmentError('tool-missing', `cannot run k6 at ${file}: ${error.message}`, { cause: error }),
      );
    });
    child.once('close', (code, signal) => {
      clearTimeout(deadline);
      unsubscribe();
      resolve({ code: code ?? (signal ? 130 : 1), stderr });
    });
  });
}
