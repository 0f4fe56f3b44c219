import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { UsageError } from '../core/errors.ts';
import type { RunResult } from '../core/run-result.ts';
import { captureStdout } from '../test-support/capture-stdout.ts';
import { useLatencyStep } from '../test-support/latency-step.ts';
import { runLoadRun } from './load-run.ts';

// `load run --baseline` takes what `gate --baseline` takes (cli/gate-baseline.test.ts): latest-passed,
// a run id from the history, or a result.json; per scenario of a profile with two requests.
const servers = useLatencyStep('opsproof-load-baseline-');
const { dir } = servers;
const history = join(dir, 'history.db');
const config = join(dir, 'opsproof.config.json');

function writeConfig(target: string): void {
  writeFileSync(
    config,
    JSON.stringify({
      service: 'load-baseline',
      environments: { local: { target } },
      load: {
        profiles: {
          steady: {
            model: 'closed',
            connections: 2,
            duration: '1s',
            requests: [
              { name: 'home', path: '/' },
              { name: 'api', path: '/api' },
            ],
          },
        },
      },
      // The noise of this shared 2-core machine (cli/gate-baseline.test.ts): far above the 5 ms default.
      history: { baseline: { floorMs: 400, floorRps: 30, tolerance: 0.5 } },
    }),
  );
}

async function loadRun(
  target: string,
  baseline: string,
  out: string,
): Promise<{ code: number; result: RunResult }> {
  writeConfig(target);
  const { value: code, stdout } = await captureStdout(() =>
    runLoadRun('steady', {
      config,
      env: 'local',
      out: join(dir, out),
      json: true,
      history,
      baseline,
    }),
  );
  return { code, result: JSON.parse(stdout) as RunResult };
}

const baselineChecks = (r: RunResult) => r.checks.filter((c) => c.kind === 'baseline');

test('load run --baseline: latest-passed, a run id and a result.json, overall and per scenario', async () => {
  const first = await loadRun(servers.fast.url, 'latest-passed', 'first');
  expect(baselineChecks(first.result)).toEqual([
    expect.objectContaining({
      id: 'baseline',
      status: 'skipped',
      message: expect.stringMatching(/no run history/),
    }),
  ]);
  expect(first.result.status, JSON.stringify(first.result.checks)).toBe('passed');

  const second = await loadRun(servers.fast.url, 'latest-passed', 'second');
  const ids = baselineChecks(second.result).map((c) => c.id);
  for (const scope of ['', 'home:', 'api:']) {
    for (const metric of ['p50', 'p95', 'p99', 'p999', 'errorRate', 'rps'])
      expect(ids).toContain(`baseline:${scope}${metric}`);
  }
  expect(baselineChecks(second.result).filter((c) => c.status !== 'passed')).toEqual([]);
  expect(baselineChecks(second.result)[0]?.message).toContain(`run ${first.result.runId}, latest passed`);

  // The service slows down: held to the first run by its id, then by its result.json, it regresses.
  const byId = await loadRun(servers.slow.url, first.result.runId, 'by-id');
  expect(byId.code).toBe(1);
  const p99 = baselineChecks(byId.result).find((c) => c.id === 'baseline:api:p99');
  expect(p99).toMatchObject({
    status: 'failed',
    message: expect.stringContaining(`(run ${first.result.runId})`),
  });
  expect(p99?.message).toMatch(/^api:p99 \d+(\.\d+)? ms vs baseline \d+(\.\d+)? ms .*: regression$/);

  const file = join(dir, 'first', 'result.json');
  const byFile = await loadRun(servers.slow.url, file, 'by-file');
  expect(byFile.code).toBe(1);
  expect(baselineChecks(byFile.result).find((c) => c.id === 'baseline:home:p99')).toMatchObject({
    status: 'failed',
    message: expect.stringContaining(`(${file})`),
  });

  await expect(loadRun(servers.fast.url, 'no-such-run', 'unknown')).rejects.toThrow(UsageError);
}, 90_000);
