import { describeError, EnvironmentError } from '../../core/errors.ts';
import type { Check } from '../../core/run-result.ts';
import type { RunContext, Stage, StageOutcome } from '../stage.ts';

/** Why a connection failed, in words, from undici's error codes. */
function describeConnectError(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as { code?: string } | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'its host name does not resolve';
    case 'ECONNRESET':
      return 'the connection was reset';
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connecting timed out';
    default:
      if (cause instanceof Error && cause.name === 'TimeoutError') return 'no answer within 5 s';
      return describeError(cause);
  }
}

async function probe(url: string, signal: AbortSignal): Promise<number> {
  const res = await fetch(url, {
    signal: AbortSignal.any([signal, AbortSignal.timeout(5000)]),
    redirect: 'manual',
  });
  await res.body?.cancel();
  return res.status;
}

/**
 * First stage of every run: surfaces config warnings, proves the target answers (an unreachable
 * target is an environment error, exit 3), and records its readiness as a `health` check.
 */
export const preflightStage: Stage = {
  name: 'preflight',
  async run(context: RunContext): Promise<StageOutcome> {
    for (const warning of context.loaded.warnings) {
      context.timeline.emit({ type: 'progress', stage: 'preflight', level: 'warn', message: warning });
    }
    const base = context.targetUrl.replace(/\/$/, '');
    let path = '/health/ready';
    let status: number;
    try {
      status = await probe(base + path, context.signal);
      if (status === 404) {
        path = '/';
        status = await probe(base + path, context.signal);
      }
    } catch (error) {
      if (context.signal.aborted) throw context.signal.reason;
      throw new EnvironmentError(
        'target-unreachable',
        `target ${base} of environment "${context.env.name}" is unreachable: ${describeConnectError(error)}.`,
        { cause: error },
      );
    }
    const ok = status >= 200 && status < 400;
    const check: Check = {
      id: 'health:ready',
      kind: 'health',
      name: `target answers ${path}`,
      status: ok ? 'passed' : 'failed',
      measured: status,
      threshold: '2xx or 3xx',
      unit: 'status',
      message: ok ? `GET ${path} answered ${status}` : `GET ${base}${path} answered ${status}`,
    };
    return { checks: [check] };
  },
};
