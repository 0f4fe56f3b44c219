import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import type { RunResult } from '../core/run-result.ts';
import { findFreePort } from '../runner/local-target.ts';

/**
 * The acceptance of issue 18 for init and check, as a new user would try it: in a fresh folder
 * outside this repository, `opsproof init` against a third-party service, then `check`, then
 * `gate` against the running service, with no hand edits. The CLI runs as a child process (its
 * `opsproof` import resolution included). No skip: a missing json-server or Chromium fails here.
 */
const require = createRequire(import.meta.url);
const bin = fileURLToPath(new URL('../bin/opsproof.js', import.meta.url));
const fixtures = fileURLToPath(new URL('../test-support/scaffold/', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});

function opsproof(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd, timeout: 80_000, env: { ...process.env, FORCE_COLOR: '0' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** Starts a server process and waits until `path` answers. */
async function serve(command: string[], url: string, cwd?: string): Promise<void> {
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
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${command.join(' ')} did not answer ${url} within 15 s`);
}

function freshFolder(name: string): string {
  return mkdtempSync(join(tmpdir(), `opsproof-init-${name}-`));
}

/** init → check → gate, each expected to pass; returns the gate's RunResult. */
async function initCheckGate(dir: string, initArgs: string[]): Promise<RunResult> {
  const init = await opsproof(['init', ...initArgs], dir);
  expect(init.stderr).toContain('wrote opsproof.config.ts');
  expect(init.code).toBe(0);
  const check = await opsproof(['check'], dir);
  expect(check.stderr).toMatch(/\nok\n$/);
  expect(check.code).toBe(0);
  const gate = await opsproof(['gate', '--json'], dir);
  const result = JSON.parse(gate.stdout) as RunResult;
  expect(result.checks.filter((c) => c.status !== 'passed').map((c) => `${c.id}: ${c.message}`)).toEqual([]);
  expect(gate.code).toBe(0);
  return result;
}

describe('init, check and gate against third-party services', () => {
  test('json-server (a REST API): an API canary on its resource, a browser canary on its home page', async () => {
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
    const result = await initCheckGate(dir, ['--url', `${url}/posts`, '--staging', staging]);
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

    // --staging: the same folder synthesizes the stack of its aws environment, with no hand edit.
    const check = await opsproof(['check', '--env', 'staging'], dir);
    expect(check.code, check.stderr).toBe(0);
    const synth = await opsproof(['synth', '--env', 'staging'], dir);
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

  test("a third-party web UI (Playwright's trace viewer, built HTML) that opsproof starts itself with --start", async () => {
    const ui = join(dirname(require.resolve('playwright-core/package.json')), 'lib/vite/traceViewer');
    const port = await findFreePort();
    const server = join(fixtures, 'static-server.mjs');
    await serve([process.execPath, server, String(port), ui], `http://127.0.0.1:${port}/`);

    const dir = freshFolder('web-ui');
    writeFileSync(join(dir, 'README.md'), '# My web UI\n');
    const start = `"${process.execPath}" "${server}" {port} "${ui}"`;
    const init = await opsproof(['init', '--url', `http://127.0.0.1:${port}/`, '--start', start], dir);
    expect(init.code).toBe(0);
    // The probed instance goes away: the gate starts its own on a free port.
    for (const child of children.splice(0)) child.kill();
    const check = await opsproof(['check'], dir);
    expect(check.code).toBe(0);
    const gate = await opsproof(['gate', '--json'], dir);
    const result = JSON.parse(gate.stdout) as RunResult;
    expect(result.checks.filter((c) => c.status !== 'passed').map((c) => `${c.id}: ${c.message}`)).toEqual(
      [],
    );
    expect(gate.code).toBe(0);
    expect(result.target).not.toBe(`http://127.0.0.1:${port}`);
    expect(readFileSync(join(dir, 'opsproof/canaries/web.canary.ts'), 'utf8')).toContain(
      "title.includes('Playwright Trace Viewer')",
    );
    expect(existsSync(join(dir, 'opsproof/canaries/api.canary.ts'))).toBe(false);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(
      /^# My web UI\n\n## Operations checks \(opsproof\)/,
    );
  }, 90_000);

  test('the Swagger Petstore OpenAPI document against a server implementing its safe operations', async () => {
    const port = await findFreePort();
    const url = `http://127.0.0.1:${port}`;
    await serve(
      [process.execPath, join(fixtures, 'petstore-server.mjs'), String(port)],
      `${url}/api/v3/store/inventory`,
    );
    const dir = freshFolder('petstore');
    mkdirSync(join(dir, 'api'));
    writeFileSync(join(dir, 'api/openapi.yaml'), readFileSync(join(fixtures, 'petstore-openapi.yaml')));
    const result = await initCheckGate(dir, ['--openapi', 'api/openapi.yaml', '--url', url]);
    expect(result.load?.requests).toBeGreaterThan(0);
    const names = result.checks.map((c) => c.name);
    expect(names).toContain('getInventory: error rate < 1 %');
    expect(readFileSync(join(dir, 'OPSPROOF.md'), 'utf8')).toContain('npx opsproof gate');
  }, 90_000);
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
    expect(readFileSync(join(dir, 'opsproof/canaries/api.canary.ts'), 'utf8')).toContain('defineCanary');
    expect(readFileSync(join(dir, 'opsproof.config.ts'), 'utf8')).toContain(
      "command: ['node', 'server.js', '{port}']",
    );
  });
});
