import { existsSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { type OpsproofRun, runOpsproof } from '../test-support/run-opsproof.ts';

// Each case spawns the CLI (tsx start-up); on a busy machine that takes seconds.
vi.setConfig({ testTimeout: 90_000 });

function runCli(args: string[], cwd: string): Promise<OpsproofRun> {
  return runOpsproof(args, { cwd, timeoutMs: 60_000, env: { OPSPROOF_DEBUG: '' } });
}

let server: Server;
let liveUrl: string;
let closedUrl: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  liveUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Had a run started against this one, it would have exited 3 (unreachable), not 2.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise((resolve) => closed.close(resolve));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** A project whose experiment, drill and canary file each hold a mistake only a run would meet. */
function projectWithMistakes(target: string, more = ''): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'opsproof-mistakes-')));
  writeFileSync(join(dir, 'broken.canary.ts'), 'export default { name: "not a canary" };\n');
  writeFileSync(
    join(dir, 'opsproof.config.ts'),
    `import { defineSuite } from 'opsproof';

export default defineSuite({
  service: 'tiny',
  environments: { local: { target: '${target}' } },
  canaries: { files: ['*.canary.ts'] },
  experiments: {
    slow: {
      actions: {
        delay: {
          actionId: 'aws:lambda:invocaton-add-delay',
          parameters: { duration: 'PT10S' },
          targets: { Functions: 'fns' },
        },
        pause: { actionId: 'aws:fis:wait', parameters: { duration: 'ten seconds' } },
      },
      targets: { fns: { resourceType: 'aws:lambda:function', selectionMode: 'ALL' } },
    },
  },
  drills: {
    outage: { kind: 'dr', rto: '1m', experiment: 'slow', detectBy: { canary: 'checkout' } },
  },${more}
});
`,
  );
  return dir;
}

test('a mistyped action id exits 2 before preflight, every problem listed with its path', async () => {
  // A reference the config loader finds is listed with the rest, not in a round of its own.
  const dir = projectWithMistakes(
    closedUrl,
    "\n  expectations: [{ kind: 'alarm-fires', alarm: 'Nope', within: '1m' }],",
  );
  const run = await runCli(['gate', '--json'], dir);
  expect(run.code, run.stderr).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(
    /experiments\.slow\.actions\.delay\.actionId: unknown FIS action "aws:lambda:invocaton-add-delay"; did you mean "aws:lambda:invocation-add-delay"/,
  );
  expect(run.stderr).toContain(
    'experiments.slow.actions.pause.parameters.duration: expected an ISO-8601 duration like PT1M, got "ten seconds"',
  );
  expect(run.stderr).toMatch(/canaries\.files: .*broken\.canary\.ts has no canary as its default export/);
  // The gate runs no drill: the drill's missing detector is named, as a warning.
  expect(run.stderr).toMatch(/⚠ drills\.outage\.detectBy\.canary: unknown canary "checkout"/);
  expect(run.stderr).toContain('expectations[0].alarm: unknown alarm "Nope"');
  expect(run.stderr).toContain('4 problems');
  expect(run.stderr).not.toMatch(/preflight|unreachable|\n\s+at /);
  expect(existsSync(join(dir, 'reports'))).toBe(false);
});

test('drill: its experiment and detector are its problems, exit 2 before preflight', async () => {
  const dir = projectWithMistakes(closedUrl);
  const run = await runCli(['drill', 'outage'], dir);
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr).toMatch(/✖ drills\.outage\.detectBy\.canary: unknown canary "checkout"/);
  expect(run.stderr).toMatch(/✖ experiments\.slow\.actions\.delay\.actionId: unknown FIS action/);
  expect(existsSync(join(dir, 'reports'))).toBe(false);
});

test('stages that do not use the broken parts still run; their problems print as warnings', async () => {
  const dir = projectWithMistakes(liveUrl);
  const run = await runCli(['gate', '--skip', 'chaos,canaries,canaries-after', '--out', 'out'], dir);
  expect(run.code, run.stderr).toBe(0);
  expect(run.stderr).toContain('verdict: PASSED');
  expect(run.stderr).toMatch(
    /experiments\.slow\.actions\.delay\.actionId: unknown FIS action .*not used by this run/,
  );
  expect(existsSync(join(dir, 'out', 'result.json'))).toBe(true);
});

test.each([
  ['canary', 'run'],
  ['canary', 'watch', '--runs', '1', '--every', '1s'],
])(
  'opsproof %s %s: a canary file that exports no canary exits 2 before any canary runs',
  async (...command) => {
    const dir = projectWithMistakes(closedUrl);
    const run = await runCli(command, dir);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/✖ canaries\.files: .*broken\.canary\.ts has no canary as its default export/);
    // Experiments are no canary command's business: warnings only.
    expect(run.stderr).toMatch(/⚠ experiments\.slow\.actions\.delay\.actionId/);
    expect(existsSync(join(dir, 'reports'))).toBe(false);
  },
);
