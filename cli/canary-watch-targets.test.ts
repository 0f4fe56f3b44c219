import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runOpsproof } from '../test-support/run-opsproof.ts';
import { startJsonReceiver, startServer, type TestServer } from '../test-support/test-servers.ts';

// `opsproof canary watch` in an environment with several targets: each canary runs against the
// target it names (`defineCanary({ target })`), as in the gate.
const servers: TestServer[] = [];
const dir = mkdtempSync(join(tmpdir(), 'opsproof-canary-watch-targets-'));

const canary = (name: string, target: string, body: string) =>
  `import { defineCanary } from 'opsproof';
export default defineCanary({ name: '${name}', type: 'api', target: '${target}' }, async ({ http, step, baseUrl }) => {
  await step('who answers', async () => {
    const res = await http.get(baseUrl + '/');
    if (res.body !== '${body}') throw new Error('${target} target answered ' + res.body);
  });
});
`;

beforeAll(async () => {
  for (const who of ['api', 'web']) servers.push(await startServer((_req, res) => res.end(who)));
  writeFileSync(
    join(dir, 'opsproof.config.json'),
    JSON.stringify({
      service: 'two-targets',
      environments: { local: { targets: { api: servers[0]!.url, web: servers[1]!.url } } },
      canaries: { files: ['*.canary.ts'] },
    }),
  );
  writeFileSync(join(dir, 'api.canary.ts'), canary('api-check', 'api', 'api'));
  writeFileSync(join(dir, 'web.canary.ts'), canary('web-check', 'web', 'web'));
});
afterAll(async () => {
  for (const server of servers) await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('each canary of one watch round runs against the target it names', async () => {
  const out = join(dir, 'watch');
  const { code } = await runOpsproof(
    ['canary', 'watch', '--every', '1s', '--runs', '1', '--history', 'off', '--out', out],
    { cwd: dir, timeoutMs: 40_000 },
  );
  const results = JSON.parse(readFileSync(join(out, 'run-1', 'canaries.json'), 'utf8')) as {
    name: string;
    status: string;
    error?: string;
  }[];
  expect(results.map((r) => [r.name, r.status, r.error ?? '']).sort()).toEqual([
    ['api-check', 'passed', ''],
    ['web-check', 'passed', ''],
  ]);
  expect(code).toBe(0);
}, 60_000);

test("an alert names the URL of the canary's own target, not the default one", async () => {
  const alertDir = join(dir, 'alerting');
  mkdirSync(alertDir);
  const receiver = await startJsonReceiver();
  try {
    writeFileSync(
      join(alertDir, 'opsproof.config.json'),
      JSON.stringify({
        service: 'two-targets',
        environments: {
          local: {
            targets: { api: servers[0]!.url, web: servers[1]!.url },
            watch: { failuresBeforeAlert: 1, alerts: [{ url: `${receiver.url}/hook`, format: 'generic' }] },
          },
        },
        canaries: { files: ['*.canary.ts'] },
      }),
    );
    // Runs against web, expects api's answer: fails on the first run and alerts at once.
    writeFileSync(join(alertDir, 'web.canary.ts'), canary('web-wrong', 'web', 'api'));
    const { code } = await runOpsproof(
      ['canary', 'watch', '--every', '1s', '--runs', '1', '--history', 'off'],
      {
        cwd: alertDir,
        timeoutMs: 40_000,
      },
    );
    expect(code).toBe(1);
    const bodies = receiver.received.map((r) => r.body as { canary: string; target: string });
    expect(bodies.map((b) => [b.canary, b.target])).toEqual([['web-wrong', servers[1]!.url]]);
  } finally {
    await receiver.close();
  }
}, 60_000);
