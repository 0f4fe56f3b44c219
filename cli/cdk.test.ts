import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requireTool } from '../core/tools.ts';
import { findFreePort } from '../runner/local-target.ts';
import { type MotoServer, startMotoServer } from '../telemetry/aws/start-moto-server.ts';
import { formatDiffCount } from './cdk.ts';

const exec = promisify(execFile);
const repo = join(import.meta.dirname, '..');
const moto = requireTool('moto_server');

// A user's repository: its own config and canary importing from 'opsproof', nothing installed.
const CONFIG = `import { defineSuite } from 'opsproof';

export default defineSuite({
  service: 'shop-api',
  environments: {
    local: { target: 'http://127.0.0.1:8080', readyPath: '/health' },
    staging: {
      target: 'https://api.staging.shop.example.com',
      readyPath: '/health',
      provider: 'aws',
      region: 'eu-west-1',
      tier: 'staging',
    },
    prod: {
      target: 'https://api.shop.example.com',
      provider: 'aws',
      region: 'eu-west-1',
      tier: 'prod',
      production: true,
    },
  },
  kpis: { availability: 99.9, p99: 1000, errorRate: 0.01 },
  canaries: { files: ['canaries/*.canary.ts'] },
});
`;
const CANARY = `import { defineCanary } from 'opsproof';

export default defineCanary({ name: 'health', type: 'api' }, async ({ http, step, baseUrl }) => {
  await step('health answers', async () => {
    const res = await http.get(\`\${baseUrl}/health\`);
    if (res.status !== 200) throw new Error(\`/health returned \${res.status}\`);
  });
});
`;

const aws = (endpoint: string) => ({
  AWS_ENDPOINT_URL: endpoint,
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'eu-west-1',
});

let dir: string;
let server: MotoServer | undefined;

async function opsproof(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd: string = dir,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [join(repo, 'bin/opsproof.js'), ...args], {
      cwd,
      timeout: 120_000,
      env: { ...process.env, CI: 'true', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The CLI on a pseudo-terminal (util-linux `script`), `input` typed at it; its output and exit code. */
async function opsproofAtTerminal(
  args: string[],
  env: NodeJS.ProcessEnv,
  input: string,
): Promise<{ code: number; output: string }> {
  const command = [process.execPath, join(repo, 'bin/opsproof.js'), ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: dir,
    env: { ...process.env, CI: '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  // Typed ahead: the terminal holds it until the prompt reads it.
  child.stdin.write(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? -1)));
  clearTimeout(timer);
  child.stdin.end();
  return { code, output };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opsproof-user-repo-'));
  await mkdir(join(dir, 'canaries'));
  await writeFile(join(dir, 'opsproof.config.ts'), CONFIG);
  await writeFile(join(dir, 'canaries', 'health.canary.ts'), CANARY);
  await writeFile(
    join(dir, 'local-only.config.ts'),
    "import { defineSuite } from 'opsproof';\nexport default defineSuite({ service: 'x', environments: { local: { target: 'http://127.0.0.1:8080' } } });\n",
  );
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('opsproof synth | diff from a user repository', () => {
  test.skipIf(moto.skip)(
    'synth --env staging writes the template; against moto, diff shows the stack as new, deploy asks at a terminal, deploy --yes --bootstrap creates it',
    async () => {
      const synth = await opsproof(['synth', '--env', 'staging']);
      expect(synth.stderr).toContain('synthesized ShopApi-Staging →');
      expect(synth.code).toBe(0);
      const template = JSON.parse(
        await readFile(join(dir, 'cdk.out', 'ShopApi-Staging.template.json'), 'utf8'),
      );
      const types = Object.values(template.Resources as Record<string, { Type: string }>).map((r) => r.Type);
      expect(types).toContain('AWS::Synthetics::Canary');
      expect(types).toContain('AWS::CloudWatch::Alarm');

      server = await startMotoServer(moto.path!);
      const diff = await opsproof(['diff', '--env', 'staging'], aws(server.endpoint));
      expect(diff.code).toBe(0);
      expect(diff.stdout).toContain('[+] AWS::Synthetics::Canary');
      expect(diff.stderr).toMatch(
        new RegExp(`ShopApi-Staging \\(new stack\\): ${types.length} to add, 0 to update, 0 to remove`),
      );

      // moto reads a stack's template from S3 only at an amazonaws.com URL; the toolkit builds that URL
      // from this variable instead of the loopback endpoint.
      const deployEnv = {
        ...aws(server.endpoint),
        AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION: 'https://s3.eu-west-1.amazonaws.com',
      };
      // At a terminal (a pty from `script`), deploy shows the diff and asks; "n" deploys nothing.
      const declined = await opsproofAtTerminal(
        ['deploy', '--env', 'staging', '--bootstrap'],
        deployEnv,
        'n\n',
      );
      expect(declined.output).toContain('Deploy? [y/N]');
      expect(declined.output).toContain('not deployed: the change was declined');
      expect(declined.code).toBe(1);

      const deploy = await opsproof(['deploy', '--env', 'staging', '--yes', '--bootstrap'], deployEnv);
      expect(deploy.stderr).toContain('deployed ShopApi-Staging (arn:aws:cloudformation:eu-west-1:');
      expect(deploy.code).toBe(0);
    },
    420_000,
  );
});

test.skipIf(moto.skip)(
  'the folder opsproof init writes for a third-party API (json-server) diffs against moto as a new stack',
  async () => {
    const folder = await mkdtemp(join(tmpdir(), 'opsproof-init-diff-'));
    await writeFile(join(folder, 'db.json'), JSON.stringify({ posts: [{ id: 1, title: 'hello' }] }));
    const port = await findFreePort();
    const url = `http://127.0.0.1:${port}`;
    const jsonServer = createRequire(import.meta.url).resolve('json-server/lib/cli/bin.js');
    const service: ChildProcess = spawn(
      process.execPath,
      [jsonServer, '--host', '127.0.0.1', '--port', String(port), '--quiet', 'db.json'],
      { cwd: folder, stdio: 'ignore' },
    );
    try {
      for (let i = 0; i < 100; i++) {
        const up = await fetch(`${url}/posts`).then(
          (r) => r.ok,
          () => false,
        );
        if (up) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const init = await opsproof(
        ['init', '--url', `${url}/posts`, '--staging', 'https://posts.staging.example.com'],
        {},
        folder,
      );
      expect(init.code, init.stderr).toBe(0);
      server ??= await startMotoServer(moto.path!);
      const diff = await opsproof(['diff', '--env', 'staging'], aws(server.endpoint), folder);
      expect(diff.code, diff.stderr).toBe(0);
      expect(diff.stdout).toContain('[+] AWS::Synthetics::Canary');
      expect(diff.stdout).toContain('[+] AWS::CloudWatch::Alarm');
      expect(diff.stderr).toMatch(/-Staging \(new stack\): \d+ to add, 0 to update, 0 to remove/);
    } finally {
      service.kill();
      await rm(folder, { recursive: true, force: true });
    }
  },
  240_000,
);

describe('opsproof deploy refuses before synthesizing', () => {
  test.each([
    {
      args: ['deploy', '--env', 'staging'],
      message: 'refusing to deploy without confirmation: nobody is at the terminal',
    },
    {
      args: ['deploy', '--env', 'prod', '--yes'],
      message: 'refusing to deploy production environment prod',
    },
    {
      args: ['deploy', '--env', 'prod', '--yes', '--allow-production'],
      message: 'refusing to deploy production environment prod without confirmation',
    },
    { args: ['diff', '--env', 'local'], message: 'environment "local" has provider "embedded"' },
    {
      args: ['synth', '--config', 'local-only.config.ts'],
      message: 'no environment with provider "aws": nothing to synth',
    },
  ])('$message: exit 2', async ({ args, message }) => {
    const { code, stderr } = await opsproof(args);
    expect(stderr).toContain(message);
    expect(code).toBe(2);
  });
});

test('a suite the CDK app refuses (a dot in the service name) is a config error naming why: exit 2', async () => {
  await writeFile(join(dir, 'dot.config.ts'), CONFIG.replace("service: 'shop-api'", "service: 'shop.api'"));
  const { code, stderr } = await opsproof(['synth', '--env', 'staging', '--config', 'dot.config.ts']);
  expect(stderr).toContain(
    "error: the suite's CDK app failed: The value shop.api-staging for field dashboardName",
  );
  expect(code).toBe(2);
});

describe('formatDiffCount', () => {
  const change = (kind: 'add' | 'update' | 'remove') => ({
    isAddition: kind === 'add',
    isUpdate: kind === 'update',
    isRemoval: kind === 'remove',
  });
  test.each([
    {
      kinds: ['add', 'add'] as const,
      isNew: true,
      line: 'S (new stack): 2 to add, 0 to update, 0 to remove',
    },
    { kinds: ['update', 'remove'] as const, isNew: false, line: 'S: 0 to add, 1 to update, 1 to remove' },
    { kinds: [] as const, isNew: false, line: 'S: 0 to add, 0 to update, 0 to remove' },
  ])('$line', ({ kinds, isNew, line }) => {
    const resources = {
      forEachDifference: (cb: (id: string, c: ReturnType<typeof change>) => void) => {
        for (const [i, k] of kinds.entries()) cb(`R${i}`, change(k));
      },
    };
    expect(formatDiffCount('S', resources, { isNew })).toBe(line);
  });
});
