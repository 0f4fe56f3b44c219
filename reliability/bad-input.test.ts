import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadAlarmTestFile } from '../assertions/alarm-tests/load-alarm-tests.ts';
import { main } from '../cli/main.ts';
import { hasErrors } from '../core/diagnostics.ts';
import { isOpsproofError } from '../core/errors.ts';
import { validateSuite } from '../core/validate-suite.ts';
import { parseK6Summary } from '../load/parse-k6-summary.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../telemetry/embedded/otlp-receiver.ts';
import { SpanStore } from '../telemetry/embedded/span-store.ts';

// Bad input never crashes: generated configs, CLI arguments, k6 summaries, OTLP payloads and alarm
// test files end in diagnostics / exit 2 / a typed error / 400 with a message, never a throw of
// something untyped, a stack trace, or a success.

const seed = Number(process.env.OPSPROOF_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`bad-input: seed ${seed} (replay with OPSPROOF_SEED=${seed})`);
const STACK = /\n\s+at .+[:(]\d+:\d+/;

const valid = {
  service: 'svc',
  environments: { local: { target: 'http://127.0.0.1:8080', kpis: { p99: 300 } } },
  load: { profiles: { steady: { rate: 10, duration: '5s' } } },
  alarms: [
    {
      AlarmName: 'HighErrorRate',
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Statistic: 'Average',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0.05,
      ComparisonOperator: 'GreaterThanThreshold',
    },
  ],
  canaries: { files: ['x.canary.ts'] },
};

const weird = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.constantFrom(
    null,
    -1,
    0,
    1e308,
    Number.MAX_SAFE_INTEGER,
    Number.NaN,
    '',
    '🔥'.repeat(1000),
    'x'.repeat(100_000),
    [],
    {},
    true,
  ),
  fc.constant(JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": 1}}')),
  // Deep nesting.
  fc.integer({ min: 50, max: 2000 }).map((depth) => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = { a: [v] };
    return v;
  }),
);

/** A path into the valid suite (existing keys, or odd new ones). */
const pathInto = fc.array(
  fc.oneof(
    fc.constantFrom(
      'service',
      'environments',
      'local',
      'target',
      'kpis',
      'p99',
      'load',
      'profiles',
      'steady',
      'rate',
      'duration',
      'alarms',
      0,
      'Period',
      'Threshold',
      'canaries',
      'files',
      'experiments',
      'drills',
      'expectations',
    ),
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', '', '💥', 'hasOwnProperty'),
  ),
  { minLength: 1, maxLength: 5 },
);

function setAt(root: unknown, path: readonly (string | number)[], value: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = copy;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) {
      Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
      break;
    }
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    const child = next !== null && typeof next === 'object' ? (next as Record<string, unknown>) : {};
    Object.defineProperty(node, key, { value: child, enumerable: true, writable: true, configurable: true });
    node = child;
  }
  return copy;
}

describe('config schema (validateSuite)', () => {
  const check = (input: unknown) => {
    const result = validateSuite(input);
    expect(result.suite === undefined).toBe(hasErrors(result.diagnostics));
    for (const d of result.diagnostics) {
      expect(typeof d.path).toBe('string');
      expect(d.path.length).toBeGreaterThan(0);
      expect(d.message.length).toBeGreaterThan(0);
      expect(d.message).not.toMatch(STACK);
    }
    // Nothing leaked onto Object.prototype.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    return result;
  };

  test('the valid base suite is valid (so mutations are meaningful)', () => {
    expect(check(valid).suite).toBeDefined();
  });

  test('3000 mutated suites: diagnostics with a path, never a throw', () => {
    fc.assert(
      fc.property(pathInto, weird, (path, value) => {
        check(setAt(valid, path, value));
      }),
      { seed, numRuns: 3000 },
    );
  });

  test('1000 arbitrary values as the whole config: invalid, with a path, never a throw', () => {
    fc.assert(
      fc.property(weird, (value) => {
        const result = check(value);
        expect(result.suite).toBeUndefined();
        expect(result.diagnostics.length).toBeGreaterThan(0);
      }),
      { seed, numRuns: 1000 },
    );
  });
});

describe('CLI arguments (the commander program in-process)', () => {
  let dir = '';
  let config = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'opsproof-cli-fuzz-'));
    config = join(dir, 'opsproof.config.json');
    // Unreachable target: a bad value the CLI wrongly accepted shows as exit 3, not a hang.
    writeFileSync(
      config,
      JSON.stringify({ ...valid, environments: { local: { target: 'http://127.0.0.1:9' } } }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const junk = fc.oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
    fc.constantFrom('-1', 'NaN', '1e999', '0', '💥', '__proto__', 'constructor', '%s%s', '../../etc/passwd'),
  );
  /** Each case holds at least one thing that must be refused. */
  const badArgv = fc.oneof(
    // Unknown commands.
    fc
      .tuple(fc.constantFrom('gaet', 'run', 'chaos nuke', 'load stop', 'canary', 'alarms'), junk)
      .map(([cmd, x]) => [...cmd.split(' '), `--${x.replace(/[^a-z]/gi, '') || 'x'}-unknown`]),
    // Unknown flags on real commands.
    fc
      .tuple(
        fc.constantFrom(
          'gate',
          'load run',
          'chaos run api',
          'canary run',
          'assert',
          'report x',
          'alarms test f',
        ),
        fc.stringMatching(/^[a-z]{1,12}$/),
      )
      .map(([cmd, flag]) => [...cmd.split(' '), `--zz-${flag}`, '--config', config]),
    // Bad values for validated flags.
    fc
      .tuple(
        fc.constantFrom(
          'load run --rate',
          'load run --duration',
          'load run --connections',
          'load run --engine',
          'load run --kpi',
          'gate --kpi',
          'gate --env',
          'chaos gateway --upstream http://127.0.0.1:1 --ttl',
          'chaos gateway --upstream http://127.0.0.1:1 --listen',
          'chaos gateway --upstream http://127.0.0.1:1 --fault',
          'chaos gateway --upstream',
          'canary watch --every',
          'chaos run',
          'drill',
          'report --format html',
        ),
        junk,
      )
      .map(([cmd, value]) => [...cmd.split(' '), `${value}!bad`, '--config', config]),
    // Missing required arguments / option values.
    fc
      .constantFrom('chaos run', 'chaos gateway', 'alarms test', 'report', 'drill', 'load run --rate')
      .map((cmd) => [...cmd.split(' ')]),
  );

  test('600 generated bad command lines: exit 2 with a message, never a stack trace', async () => {
    const writes: string[] = [];
    const originalErr = process.stderr.write.bind(process.stderr);
    const originalOut = process.stdout.write.bind(process.stdout);
    let failures: string[] = [];
    try {
      await fc.assert(
        fc.asyncProperty(badArgv, async (args) => {
          writes.length = 0;
          const capture = ((chunk: string | Uint8Array) => {
            writes.push(String(chunk));
            return true;
          }) as typeof process.stderr.write;
          process.stderr.write = capture;
          process.stdout.write = capture;
          let code: number;
          try {
            code = await main(['node', 'opsproof', ...args]);
          } finally {
            process.stderr.write = originalErr;
            process.stdout.write = originalOut;
            process.exitCode = undefined;
          }
          const text = writes.join('');
          if (code !== 2 || !/error/i.test(text) || STACK.test(text) || /internal error/.test(text)) {
            failures.push(`${JSON.stringify(args)} → ${code}: ${text.slice(0, 300)}`);
          }
        }),
        { seed, numRuns: 600 },
      );
    } finally {
      process.stderr.write = originalErr;
      process.stdout.write = originalOut;
    }
    failures = [...new Set(failures)];
    expect(failures.slice(0, 10), `${failures.length} bad cases`).toEqual([]);
  }, 120_000);
});

describe('k6 summary export', () => {
  const info = {
    profile: 'p',
    target: 'http://t',
    model: 'open' as const,
    durationMs: 1000,
    requestNames: ['r'],
  };
  test('2000 malformed summaries: a typed error naming the problem, or a summary', () => {
    const summaryLike = fc.oneof(
      fc.string(),
      fc.json(),
      fc.anything().map((v) => JSON.stringify({ metrics: v }) ?? '{}'),
      fc
        .dictionary(
          fc.constantFrom('http_req_duration', 'http_req_failed', 'dropped_iterations', 'x'),
          fc.anything(),
        )
        .map((metrics) => JSON.stringify({ metrics })),
    );
    fc.assert(
      fc.property(summaryLike, (text) => {
        try {
          const summary = parseK6Summary(text, info);
          expect(Number.isFinite(summary.requests)).toBe(true);
        } catch (error) {
          expect(isOpsproofError(error), String(error)).toBe(true);
          expect((error as Error).message).toMatch(/k6|summary|metric|JSON/i);
        }
      }),
      { seed, numRuns: 2000 },
    );
  });
});

describe('OTLP receiver', () => {
  let receiver: OtlpReceiver;
  const store = new SpanStore({ maxSpans: 1000 });
  beforeAll(async () => {
    receiver = await startOtlpReceiver(store);
  });
  afterAll(() => receiver.close());

  const post = (body: Buffer | string, type: string, extra: Record<string, string> = {}) =>
    fetch(receiver.tracesUrl, {
      method: 'POST',
      headers: { 'content-type': type, ...extra },
      body: typeof body === 'string' ? body : new Blob([new Uint8Array(body)]),
    });

  test.each([
    [
      'garbage protobuf',
      Buffer.from([0xff, 0xff, 0xff, 0x0f, 0x12, 0x99, 0x01, 0x00]),
      'application/x-protobuf',
    ],
    ['truncated protobuf', Buffer.from([0x0a, 0x80, 0x01, 0x0a]), 'application/x-protobuf'],
    ['invalid JSON', '{"resourceSpans": [', 'application/json'],
    ['JSON of the wrong shape', '{"resourceSpans": 42}', 'application/json'],
    [
      'JSON spans with wrong types',
      '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":7,"startTimeUnixNano":{}}]}]}]}',
      'application/json',
    ],
    ['JSON null', 'null', 'application/json'],
    ['a 17 MB body', Buffer.alloc(17 * 1024 * 1024, 1), 'application/x-protobuf'],
  ])('%s: 4xx with a message, and the receiver keeps serving', async (_name, body, type) => {
    const res = await post(body, type);
    expect([400, 413]).toContain(res.status);
    const answer = (await res.json()) as { error?: string };
    expect(answer.error).toMatch(/\w/);
    const ok = await post('{"resourceSpans":[]}', 'application/json');
    expect(ok.status).toBe(200);
  });

  test('a gzip header on a body that is not gzip: 400', async () => {
    const res = await post('not gzip', 'application/json', { 'content-encoding': 'gzip' });
    expect(res.status).toBe(400);
  });

  test('300 generated JSON bodies: 200 or 400 with a message, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.json(),
          fc
            .anything()
            .map((spans) => JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }) ?? '1'),
        ),
        async (body) => {
          const res = await post(body, 'application/json');
          expect([200, 400]).toContain(res.status);
          if (res.status === 400) expect(((await res.json()) as { error?: string }).error).toMatch(/\w/);
          else await res.body?.cancel();
        },
      ),
      { seed, numRuns: 300 },
    );
  });
});

describe('alarm test files', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'opsproof-alarm-fuzz-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('500 malformed alarm test files: a config error (exit 2) naming the file, never a crash', async () => {
    const fileText = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc.json(),
      fc
        .record({
          alarms: fc.oneof(fc.anything({ maxDepth: 2 }), fc.constant([{ AlarmName: 'A', Period: 'x' }])),
          tests: fc.oneof(
            fc.anything({ maxDepth: 3 }),
            fc.constant([
              { name: 't', series: [{ metric: {}, values: '1 2 x3 _ +' }], expect: [{ at: 'soon' }] },
            ]),
          ),
          templates: fc.oneof(
            fc.constant(undefined),
            fc.array(fc.string({ maxLength: 10 }), { maxLength: 2 }),
          ),
        })
        .map((r) => JSON.stringify(r)),
      fc.constantFrom(': : :', 'alarms: [\n', '- - -\n  x: {', 'tests:\n  - values: "1x99999999999"'),
    );
    let i = 0;
    await fc.assert(
      fc.asyncProperty(fileText, async (text) => {
        const file = join(dir, `t${i++}.yaml`);
        writeFileSync(file, text);
        try {
          await loadAlarmTestFile(file, dir);
        } catch (error) {
          expect(isOpsproofError(error), String((error as Error)?.stack ?? error)).toBe(true);
          expect((error as { exitCode?: number }).exitCode).toBe(2);
          expect((error as Error).message).toMatch(/\w/);
        }
      }),
      { seed, numRuns: 500 },
    );
  });
});
