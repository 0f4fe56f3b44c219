import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Timeline } from '../core/timeline.ts';
import { startServer, type TestServer } from '../test-support/test-servers.ts';
import { defineCanary } from './define-canary.ts';
import type { LoadedCanary } from './load-canaries.ts';
import { runCanariesPerTarget } from './run-canaries-per-target.ts';

const config = { concurrency: 2, retries: 0, timeout: '10s', stepTimeout: '5s' };
const servers: Record<string, TestServer> = {};
/** Which server each request reached, by the canary that sent it (`x-canary`). */
const reached: string[] = [];
let outDir: string;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'opsproof-per-target-'));
  for (const name of ['web', 'api']) {
    servers[name] = await startServer((req, res) => {
      reached.push(`${req.headers['x-canary']}@${name}`);
      res.end('ok');
    });
  }
});
afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.close()));
  await rm(outDir, { recursive: true, force: true });
});

function apiCanary(name: string, target?: string): LoadedCanary {
  const definition = defineCanary(
    { name, type: 'api', ...(target ? { target } : {}) },
    async ({ http, baseUrl, step }) => {
      await step('get /', async () => {
        const response = await http.get(`${baseUrl}/`, { headers: { 'x-canary': name } });
        if (response.status !== 200) throw new Error(`status ${response.status}`);
      });
    },
  );
  return { definition, file: join(outDir, `${name}.canary.ts`) };
}

describe('runCanariesPerTarget', () => {
  test('each canary runs against the target it names; results of named targets carry targetName', async () => {
    reached.length = 0;
    const outcome = await runCanariesPerTarget({
      canaries: [apiCanary('home', 'web'), apiCanary('orders', 'api'), apiCanary('plain')],
      failures: [{ name: 'broken', file: join(outDir, 'broken.canary.ts'), error: 'SyntaxError: nope' }],
      // The default target (named none) runs untagged, as `canary watch` runs every canary.
      targetOf: (target) =>
        target ? { url: servers[target]!.url, name: target } : { url: servers.web!.url },
      env: 'test',
      config,
      timeline: new Timeline(),
      outDir,
    });
    expect(reached.sort()).toEqual(['home@web', 'orders@api', 'plain@web']);
    const byName = Object.fromEntries(outcome.canaries.map((c) => [c.name, c]));
    expect(Object.keys(byName).sort()).toEqual(['broken', 'home', 'orders', 'plain']);
    // A file that failed to load is one failed result, not one per target.
    expect(outcome.canaries.filter((c) => c.name === 'broken')).toHaveLength(1);
    expect(byName.broken?.status).toBe('failed');
    expect(byName.home).toMatchObject({ status: 'passed', targetName: 'web' });
    expect(byName.orders).toMatchObject({ status: 'passed', targetName: 'api' });
    expect(byName.plain?.status).toBe('passed');
    expect(byName.plain?.targetName).toBeUndefined();
  });

  test('only load failures: they are still reported, against the default target', async () => {
    const asked: (string | undefined)[] = [];
    const outcome = await runCanariesPerTarget({
      canaries: [],
      failures: [{ name: 'broken', file: join(outDir, 'broken.canary.ts'), error: 'no default export' }],
      targetOf: (target) => {
        asked.push(target);
        return { url: servers.api!.url };
      },
      env: 'test',
      config,
      timeline: new Timeline(),
      outDir,
    });
    expect(asked).toEqual([undefined]);
    expect(outcome.canaries.map((c) => [c.name, c.status])).toEqual([['broken', 'failed']]);
  });
});
