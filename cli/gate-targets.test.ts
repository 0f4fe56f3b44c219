import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';

// Issue 18, several targets: a name the environment does not define stops the gate before anything runs.
const exec = promisify(execFile);
const bin = join(import.meta.dirname, '..', 'bin/opsproof.js');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opsproof-gate-targets-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('gate with a profile, an experiment and a canary naming unknown targets exits 2 listing all three', async () => {
  await writeFile(
    join(dir, 'home.canary.ts'),
    `import { defineCanary } from 'opsproof';
export default defineCanary({ name: 'home', type: 'api', target: 'wbe' }, async ({ http, step, baseUrl }) => {
  await step('home', async () => { await http.get(baseUrl + '/'); });
});
`,
  );
  await writeFile(
    join(dir, 'opsproof.config.json'),
    JSON.stringify({
      service: 'shop',
      // Nothing listens there: a run that got as far as preflight would exit 3, not 2.
      environments: { local: { targets: { web: 'http://127.0.0.1:9', api: 'http://127.0.0.1:9' } } },
      canaries: { files: ['home.canary.ts'] },
      load: { default: 'browse', profiles: { browse: { target: 'apj', rate: 1, duration: '1s' } } },
      experiments: {
        slow: {
          localTarget: 'db',
          actions: { wait: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1S' } } },
        },
      },
    }),
  );
  const outcome = await exec(process.execPath, [bin, 'gate', '--env', 'local', '--out', join(dir, 'run')], {
    cwd: dir,
    timeout: 60_000,
  }).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );
  expect(outcome.code).toBe(2);
  expect(outcome.stderr).toContain('load.profiles.browse.target');
  expect(outcome.stderr).toContain('unknown target "apj"');
  expect(outcome.stderr).toContain('experiments.slow.localTarget');
  expect(outcome.stderr).toContain('unknown target "db"');
  expect(outcome.stderr).toContain('unknown target "wbe"');
  expect(outcome.stderr).not.toMatch(/unreachable/);
});
