import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadCanaries } from '../canaries/load-canaries.ts';
import { runCanaries } from '../canaries/run-canaries.ts';
import { isOpsproofError } from '../core/errors.ts';
import type { LoadedSuite } from '../core/load-config.ts';
import { loadProfileSchema, suiteSchema } from '../core/schema.ts';
import { parseThreshold } from '../core/threshold.ts';
import { Timeline } from '../core/timeline.ts';
import { evaluateKpis } from '../load/evaluate-kpis.ts';
import { runOpenEngine } from '../load/open-engine.ts';
import type { RunContext } from '../runner/stage.ts';
import { preflightStage } from '../runner/stages/preflight-stage.ts';

// A target that answers badly: garbage instead of HTTP, a slow trickle of bytes, a 10 MB body,
// invalid JSON, a connection reset mid-body. Each ends as a failed check (canary, load KPI) or a
// typed error with a message (preflight), never a crash or a hang.

type Mode = 'garbage' | 'trickle' | 'huge' | 'badjson' | 'reset';
const MODES: Mode[] = ['garbage', 'trickle', 'huge', 'badjson', 'reset'];
const HUGE = Buffer.alloc(10 * 1024 * 1024, 'x');

/** Raw TCP, so the answers can be anything: the request path picks the misbehaviour. */
const server = net.createServer((socket) => {
  socket.on('error', () => {});
  let head = '';
  socket.on('data', (chunk) => {
    if (head.includes('\r\n\r\n')) return;
    head += chunk.toString('latin1');
    if (!head.includes('\r\n\r\n')) return;
    const path = /^[A-Z]+ (\S+)/.exec(head)?.[1] ?? '/';
    const mode = (MODES.find((m) => path.includes(m)) ?? 'garbage') as Mode;
    switch (mode) {
      case 'garbage':
        socket.end(Buffer.from('NOT HTTP AT ALL \x00\xff\xfe\r\n\r\n{{{{', 'latin1'));
        break;
      case 'trickle': {
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n');
        const timer = setInterval(() => socket.write('['), 50);
        socket.on('close', () => clearInterval(timer));
        break;
      }
      case 'huge':
        socket.write(
          `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${HUGE.length}\r\n\r\n`,
        );
        socket.end(HUGE);
        break;
      case 'badjson': {
        const body = '{"status": "ok", "items": [1, 2,';
        socket.end(
          `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
        );
        break;
      }
      case 'reset':
        socket.write(
          'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{"a":',
        );
        setTimeout(() => socket.resetAndDestroy(), 20);
        break;
    }
  });
});
let base = '';
let dir = '';

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'opsproof-malformed-'));
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe('api canary with http against a malformed target', () => {
  test.each(MODES)('%s: a failed canary with a reason, the run goes on', async (mode) => {
    const file = join(dir, `${mode}.canary.ts`);
    await writeFile(
      file,
      `import { defineCanary } from 'opsproof';
export default defineCanary({ name: '${mode}', type: 'api', stepTimeout: '1500ms' }, async ({ http, step, baseUrl }) => {
  await step('read json', async () => {
    const res = await http.get(baseUrl + '/${mode}');
    if (res.status !== 200) throw new Error('status ' + res.status);
    const data = res.json() as { status?: string };
    if (data.status !== 'ok') throw new Error('unexpected body');
  });
});
`,
    );
    const suite = suiteSchema.parse({
      service: 'malformed',
      environments: { local: { target: base } },
      canaries: { files: [file] },
    });
    const loaded: LoadedSuite = { suite, file: join(dir, 'opsproof.config.ts'), dir, warnings: [] };
    const canaries = await loadCanaries(loaded);
    expect(canaries.failures).toEqual([]);
    const { canaries: results } = await runCanaries({
      ...canaries,
      baseUrl: base,
      env: 'url',
      config: { concurrency: 1, retries: 0, timeout: '10s', stepTimeout: '1500ms' },
      timeline: new Timeline(),
      outDir: join(dir, `run-${mode}`),
    });
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ name: mode, status: 'failed' });
    expect(results[0]!.steps[0]?.status).toBe('failed');
    expect(results[0]!.error ?? results[0]!.steps[0]?.error).toMatch(/\w/);
  });
});

describe('open-model load engine against a malformed target', () => {
  test.each(MODES)('%s: every request counted as an error, the error-rate KPI fails', async (mode) => {
    const profile = loadProfileSchema.parse({
      rate: 20,
      duration: '1s',
      timeout: '500ms',
      maxInFlight: 50,
      requests: [{ method: 'GET', path: `/${mode}` }],
    });
    const summary = await runOpenEngine(profile, { target: base, name: mode });
    // `huge` and `badjson` are valid HTTP 200s (the engine does not parse bodies); the rest fail.
    if (mode === 'huge' || mode === 'badjson') {
      expect(summary.errors).toBe(0);
      expect(summary.requests).toBeGreaterThan(0);
      return;
    }
    expect(summary.requests + summary.dropped).toBeGreaterThan(0);
    expect(summary.errors).toBeGreaterThan(0);
    const rate = parseThreshold('rate<0.01');
    if (!rate.ok) throw new Error(rate.error);
    const checks = evaluateKpis([rate.threshold], summary);
    // The run-wide check (the first); per-scenario checks follow it.
    expect(checks[0]).toMatchObject({ status: 'failed' });
  });
});

describe('preflight against a malformed target', () => {
  const context = (mode: Mode): RunContext =>
    ({
      loaded: { warnings: [] },
      targetUrl: `${base}/${mode}`,
      env: { name: 'local' },
      signal: new AbortController().signal,
      timeline: new Timeline(),
    }) as unknown as RunContext;

  test.each(MODES)(
    '%s: a health check or a typed error with a message, never a crash',
    async (mode) => {
      let outcome: unknown;
      let thrown: unknown;
      try {
        outcome = await preflightStage.run(context(mode));
      } catch (error) {
        thrown = error;
      }
      if (thrown !== undefined) {
        expect(isOpsproofError(thrown), String(thrown)).toBe(true);
        expect((thrown as Error).message).toMatch(/unreachable|reset|timed out|no answer|parse|HTTP/i);
      } else {
        expect(outcome).toHaveProperty('checks');
      }
    },
    15_000,
  );
});
