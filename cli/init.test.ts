import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, type ExpectStatic, expect, test } from 'vitest';
import type { RunResult } from '../core/run-result.ts';
import { findFreePort } from '../runner/local-target.ts';

/**
 * The acceptance of issue 18 for init and check, as a new user would try it: in a fresh folder
 * outside this repository, `opsproof init` against a third-party service, then `check`, then
 * `gate` against the running service, with no hand edits. The CLI runs as a child process (its
 * `opsproof` import resolution included). No skip: a missing json-server or Chromium fails here.
 * The three services run concurrently, taking turns for what costs CPU or measures time (`inTurn`):
 * each gate mostly waits for its alarms (scaffold/README.md has the file's times, 96 s one by one).
 */
const require = createRequire(import.meta.url);
const bin = fileURLToPath(new URL('../bin/opsproof.js', import.meta.url));
const fixtures = fileURLToPath(new URL('../test-support/scaffold/', import.meta.url));
// Every server a test started, ended after the file (tests run concurrently: none ends another's).
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill();
});

type Outcome = { code: number; stdout: string; stderr: string };

/** The CLI as a child process; `onStderr` sees its progress as it comes. */
function opsproof(args: string[], cwd: string, onStderr?: (stderr: string) => void): Promise<Outcome> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { cwd, timeout: 80_000, env: { ...process.env, FORCE_COLOR: '0' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      onStderr?.(stderr);
    });
  });
}

/**
 * One turn at a time for what costs CPU (a CLI starting, Chromium, synth) or measures time (a gate's
 * load stage: its send lag is a check, and three gates at once lagged 139 ms at p99).
 */
let lastTurn = Promise.resolve();
async function inTurn<T>(work: (handOn: () => void) => Promise<T>): Promise<T> {
  const before = lastTurn;
  let handOn!: () => void;
  lastTurn = new Promise<void>((resolve) => {
    handOn = resolve;
  });
  await before;
  try {
    return await work(handOn);
  } finally {
    handOn();
  }
}

let previousGateCleared = Promise.resolve();

/**
 * In one turn, `before` (init and check) then `opsproof gate --json`: it starts once the previous
 * gate has cleared its first fault (~14 s in; a gate lasts ~27 s, its load stage 1.5–8 s in) and
 * hands the turn on when its own chaos stage starts. So each gate's load stage runs while the one
 * before waits for its alarms, and after the one before that has ended (canaries, reports).
 * `cleared` resolves at this gate's first cleared fault, or when it ends early.
 */
function gateInTurn(
  dir: string,
  before: () => Promise<void>,
): { cleared: Promise<void>; outcome: Promise<Outcome> } {
  let cleared!: () => void;
  const thisCleared = new Promise<void>((resolve) => {
    cleared = resolve;
  });
  const previous = previousGateCleared;
  previousGateCleared = thisCleared;
  const outcome = inTurn(async (handOn) => {
    await before();
    await previous;
    return opsproof(['gate', '--json'], dir, (stderr) => {
      if (stderr.includes('stage chaos started')) handOn();
      if (/\bfault \S+ cleared \(/.test(stderr)) cleared();
    });
  }).finally(cleared);
  return { cleared: thisCleared, outcome };
}

/** Starts a server process and waits until `url` answers. */
async function serve(command: string[], url: string, cwd?: string): Promise<ChildProcess> {
  const child = spawn(command[0]!, command.slice(1), { stdio: 'ignore', ...(cwd ? { cwd } : {}) });
  children.push(child);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${command.join(' ')} did not answer ${url} within 15 s`);
}

function freshFolder(name: string): string {
  return mkdtempSync(join(tmpdir(), `opsproof-init-${name}-`));
}

/** init → check, each expected to pass. */
function initCheck(expect: ExpectStatic, dir: string, initArgs: string[]): () => Promise<void> {
  return async () => {
    const init = await opsproof(['init', ...initArgs], dir);
    expect(init.stderr).toContain('wrote opsproof.config.ts');
    expect(init.code).toBe(0);
    const check = await opsproof(['check'], dir);
    expect(check.stderr).toMatch(/\nok\n$/);
    expect(check.code).toBe(0);
  };
}

/** The gate's RunResult, every check of it passed. */
function passedGate(expect: ExpectStatic, gate: Outcome): RunResult {
  const result = JSON.parse(gate.stdout) as RunResult;
  expect(result.checks.filter((c) => c.status !== 'passed').map((c) => `${c.id}: ${c.message}`)).toEqual([]);
  expect(gate.code).toBe(0);
  return result;
}

// Concurrent tests assert with their own `expect`, so a failure is reported against its test; each
// may wait for the others' turns, hence the same long timeout for all three.
describe.concurrent('init, check and gate against third-party services', () => {
  test('json-server (a REST API): an API canary on its resource, a browser canary on its home page', async ({
    expect,
  }) => {
    const data = freshFolder('json-server-data');
    writeFileSync(
      join(data, 'db.json'),
      JSON.stringify({ posts: [{ id: 1, title: 'hello' }], comments: [] }),
    );
    const port = await findFreePort();
    const url = `http://127.0.0.1:${port}`;
    const jsonServer = require.resolve('json-server/lib/cli/bin.js');
    await serve(
      [process.execPath, jsonServer, '--host', '127.0.0.1', '--port', String(port), '--quiet', 'db.json'],
      `${url}/posts`,
      data,
    );

    const dir = freshFolder('json-server');
    const staging = 'https://posts.staging.example.com';
    // --staging: the same folder synthesizes the stack of its aws environment, with no hand edit.
    // Its turn is queued once the gate clears its first fault: after the other gates, beside their
    // chaos stages.
    const gated = gateInTurn(dir, initCheck(expect, dir, ['--url', `${url}/posts`, '--staging', staging]));
    await gated.cleared;
    const [check, synth] = await inTurn(
      async (): Promise<[Outcome, Outcome]> => [
        await opsproof(['check', '--env', 'staging'], dir),
        await opsproof(['synth', '--env', 'staging'], dir),
      ],
    );
    const result = passedGate(expect, await gated.outcome);
    expect(readFileSync(join(dir, 'opsproof/canaries/api.canary.ts'), 'utf8')).toContain('/posts');
    expect(existsSync(join(dir, 'opsproof/canaries/web.canary.ts'))).toBe(true);
    expect(result.target).toBe(url);
    expect(result.canaries?.map((c) => c.name).sort()).toEqual(['api', 'api', 'web', 'web']);
    expect(result.experiments?.map((e) => [e.experiment, e.status])).toEqual([
      ['errors', 'completed'],
      ['latency', 'completed'],
    ]);
    expect(result.timeline).toContainEqual(
      expect.objectContaining({ type: 'alarm.state', alarm: 'HighErrorRate', to: 'ALARM' }),
    );

    expect(check.code, check.stderr).toBe(0);
    expect(synth.code, synth.stderr).toBe(0);
    const [templateFile] = readdirSync(join(dir, 'cdk.out')).filter((f) =>
      f.endsWith('-Staging.template.json'),
    );
    expect(templateFile).toBeDefined();
    const template = JSON.parse(readFileSync(join(dir, 'cdk.out', templateFile!), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
    };
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types).toContain('AWS::Synthetics::Canary');
    expect(types).toContain('AWS::CloudWatch::Alarm');
  }, 180_000);

  test("a third-party web UI (Playwright's trace viewer, built HTML) that opsproof starts itself with --start", async ({
    expect,
  }) => {
    const ui = join(dirname(require.resolve('playwright-core/package.json')), 'lib/vite/traceViewer');
    const port = await findFreePort();
    const server = join(fixtures, 'static-server.mjs');
    const probed = await serve([process.execPath, server, String(port), ui], `http://127.0.0.1:${port}/`);

    const dir = freshFolder('web-ui');
    writeFileSync(join(dir, 'README.md'), '# My web UI\n');
    const start = `"${process.execPath}" "${server}" {port} "${ui}"`;
    const gated = gateInTurn(dir, async () => {
      const init = await opsproof(['init', '--url', `http://127.0.0.1:${port}/`, '--start', start], dir);
      expect(init.code).toBe(0);
      // The probed instance goes away: the gate starts its own on a free port.
      probed.kill();
      const check = await opsproof(['check'], dir);
      expect(check.code).toBe(0);
    });
    const result = passedGate(expect, await gated.outcome);
    expect(result.target).not.toBe(`http://127.0.0.1:${port}`);
    expect(readFileSync(join(dir, 'opsproof/canaries/web.canary.ts'), 'utf8')).toContain(
      "title.includes('Playwright Trace Viewer')",
    );
    expect(existsSync(join(dir, 'opsproof/canaries/api.canary.ts'))).toBe(false);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(
      /^# My web UI\n\n## Operations checks \(opsproof\)/,
    );
  }, 180_000);

  test('the Swagger Petstore OpenAPI document against a server implementing its safe operations', async ({
    expect,
  }) => {
    const port = await findFreePort();
    const url = `http://127.0.0.1:${port}`;
    await serve(
      [process.execPath, join(fixtures, 'petstore-server.mjs'), String(port)],
      `${url}/api/v3/store/inventory`,
    );
    const dir = freshFolder('petstore');
    mkdirSync(join(dir, 'api'));
    writeFileSync(join(dir, 'api/openapi.yaml'), readFileSync(join(fixtures, 'petstore-openapi.yaml')));
    const gated = gateInTurn(dir, initCheck(expect, dir, ['--openapi', 'api/openapi.yaml', '--url', url]));
    const result = passedGate(expect, await gated.outcome);
    expect(result.load?.requests).toBeGreaterThan(0);
    const names = result.checks.map((c) => c.name);
    expect(names).toContain('getInventory: error rate < 1 %');
    expect(readFileSync(join(dir, 'OPSPROOF.md'), 'utf8')).toContain('npx opsproof gate');
  }, 180_000);
});

describe('bad input', () => {
  test('a URL that does not answer: exit 3, one sentence, nothing written', async () => {
    const dir = freshFolder('unreachable');
    const port = await findFreePort();
    const { code, stderr } = await opsproof(['init', '--url', `http://127.0.0.1:${port}`], dir);
    expect(code).toBe(3);
    expect(stderr.split('\n')[0]).toMatch(
      new RegExp(`^error: http://127\\.0\\.0\\.1:${port} does not answer \\([^)]*ECONNREFUSED[^)]*\\)\\.$`),
    );
    expect(existsSync(join(dir, 'opsproof.config.ts'))).toBe(false);
  });

  test('an OpenAPI document that does not validate: exit 2 with the path in the document', async () => {
    const dir = freshFolder('bad-openapi');
    writeFileSync(
      join(dir, 'api.yaml'),
      'openapi: 3.0.2\ninfo: {title: x, version: "1"}\npaths:\n  /orders:\n    get:\n      responses: {"200": {description: ok}}\n      parameters: [{name: q, in: body, schema: {type: string}}]\n',
    );
    const { code, stderr } = await opsproof(
      ['init', '--openapi', 'api.yaml', '--url', 'http://127.0.0.1:9'],
      dir,
    );
    expect(code).toBe(2);
    expect(stderr).toContain(
      'paths./orders.get.parameters.0.in: must be equal to one of the allowed values: path, query, header, cookie',
    );
  });

  test('a folder with a config: refused without --force (exit 2, naming it), untouched', async () => {
    const dir = freshFolder('existing');
    writeFileSync(join(dir, 'opsproof.config.ts'), '// mine\n');
    const { code, stderr } = await opsproof(
      ['init', '--openapi', join(fixtures, 'petstore-openapi.yaml'), '--url', 'http://127.0.0.1:9'],
      dir,
    );
    expect(code).toBe(2);
    expect(stderr).toContain(`${dir} already has opsproof.config.ts; nothing was written`);
    expect(stderr).toContain('--force');
    expect(readFileSync(join(dir, 'opsproof.config.ts'), 'utf8')).toBe('// mine\n');
  });

  test('--dir writes into that folder and says to go there first', async () => {
    const dir = freshFolder('dir');
    const args = [
      'init',
      '--openapi',
      join(fixtures, 'petstore-openapi.yaml'),
      '--start',
      'node s.js {port}',
    ];
    const { code, stderr } = await opsproof([...args, '--dir', 'ops'], dir);
    expect(code).toBe(0);
    expect(existsSync(join(dir, 'ops/opsproof.config.ts'))).toBe(true);
    expect(stderr).toContain('\nnext: cd ops, then opsproof check, then opsproof gate');
  });

  test('--force overwrites the files init writes; without it a clash with a canary is refused too', async () => {
    const dir = freshFolder('force');
    const petstore = join(fixtures, 'petstore-openapi.yaml');
    const args = ['init', '--openapi', petstore, '--start', 'node server.js {port}'];
    mkdirSync(join(dir, 'opsproof/canaries'), { recursive: true });
    writeFileSync(join(dir, 'opsproof/canaries/api.canary.ts'), '// mine\n');
    const refused = await opsproof(args, dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('already has opsproof/canaries/api.canary.ts; nothing was written');
    const forced = await opsproof([...args, '--force'], dir);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain('\nnext: opsproof check, then opsproof gate');
    expect(readFileSync(join(dir, 'opsproof/canaries/api.canary.ts'), 'utf8')).toContain('defineCanary');
    expect(readFileSync(join(dir, 'opsproof.config.ts'), 'utf8')).toContain(
      "command: ['node', 'server.js', '{port}']",
    );
  });
});
