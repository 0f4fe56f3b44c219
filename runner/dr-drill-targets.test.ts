import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import type { RunResult } from '../core/run-result.ts';
import { runOpsproof } from '../test-support/run-opsproof.ts';
import { startServer } from '../test-support/test-servers.ts';

// The killed target answers 404 on `/` and 200 on its readyPath; the default target (first) always
// 200. A health probe of the default target, or of the killed one's `/`, could never see the outage
// and the recovery the drill measures.
// It takes a second to listen, so the outage outlasts a few probes.
const API =
  "setTimeout(() => require('http').createServer((q, s) => { s.writeHead(q.url === '/' ? 404 : 200); s.end(); }).listen(+process.argv[1], '127.0.0.1'), 1000)";

test("a DR drill probes the target its experiment kills, on that target's own readyPath", async () => {
  const web = await startServer((_req, res) => res.end('ok'));
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-dr-targets-'));
  try {
    writeFileSync(
      join(dir, 'opsproof.config.json'),
      JSON.stringify({
        service: 'shop',
        environments: {
          local: {
            targets: {
              web: { url: web.url },
              api: {
                url: 'http://127.0.0.1:0',
                readyPath: '/up',
                start: { command: [process.execPath, '-e', API, '{port}'] },
              },
            },
          },
        },
        experiments: {
          'api-kill': {
            localTarget: 'api',
            targets: {
              Tasks: {
                resourceType: 'aws:ecs:task',
                resourceTags: { service: 'shop-api' },
                selectionMode: 'COUNT(1)',
              },
            },
            actions: { stop: { actionId: 'aws:ecs:stop-task', targets: { Tasks: 'Tasks' } } },
            stopConditions: [{ source: 'none' }],
          },
        },
        drills: { dr: { kind: 'dr', experiment: 'api-kill', rto: '30s', detectWithin: '10s' } },
      }),
    );
    const out = join(dir, 'out');
    const { code } = await runOpsproof(['drill', 'dr', '--out', out], { cwd: dir, timeoutMs: 80_000 });
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult;
    expect(
      result.checks.map((c) => [c.id, c.status]),
      JSON.stringify(result.checks, null, 1),
    ).toEqual([
      ['health:ready:web', 'passed'],
      ['health:ready:api', 'passed'],
      ['drill:dr:experiment', 'passed'],
      ['drill:dr:detect', 'passed'],
      ['drill:dr:rto', 'passed'],
    ]);
    expect(code).toBe(0);
    expect(result.drill?.timeToRecoverMs).toBeGreaterThan(
      result.drill?.timeToDetectMs ?? Number.POSITIVE_INFINITY,
    );
    expect(readFileSync(join(out, 'drill.md'), 'utf8')).toContain('/up answered');
  } finally {
    await web.close();
  }
}, 90_000);
