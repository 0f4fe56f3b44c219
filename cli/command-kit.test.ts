import { mkdtempSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, EnvironmentError, InterruptedError, UsageError } from '../core/errors.ts';
import { KPI_SYNTAX_HINT, parseThreshold } from '../core/threshold.ts';
import { formatErrorForExit, parseKpiFlags, prepareRunDir, validateUsage } from './command-kit.ts';

describe('formatErrorForExit', () => {
  test.each([
    [new UsageError('--rate must be a positive number'), 2, 'error: --rate must be a positive number'],
    [
      new EnvironmentError('tool-missing', 'k6 was not found', { hint: 'run npm run setup' }),
      3,
      'error: k6 was not found\nhint: run npm run setup',
    ],
    [new InterruptedError('SIGINT'), 130, 'error: interrupted by SIGINT'],
    [
      new ConfigError('opsproof.config.ts: 1 problem', [
        { path: 'kpis.p99', severity: 'error', message: 'bad' },
      ]),
      2,
      'error: opsproof.config.ts: 1 problem\n  ✖ kpis.p99: bad',
    ],
  ])('%s → exit %d', (error, code, text) => {
    expect(formatErrorForExit(error, {})).toEqual({ code, text });
  });

  test('an unknown error exits 3 without a stack trace unless OPSPROOF_DEBUG=1', () => {
    const error = new TypeError('cannot read x of undefined');
    const plain = formatErrorForExit(error, {});
    expect(plain.code).toBe(3);
    expect(plain.text).toContain('internal error: cannot read x of undefined');
    expect(plain.text).not.toMatch(/\n\s+at /);
    expect(formatErrorForExit(error, { OPSPROOF_DEBUG: '1' }).text).toMatch(/\n\s+at /);
  });
});

describe('prepareRunDir', () => {
  test('defaults to reports/<run-id>/ and points reports/latest at the newest', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'opsproof-kit-'));
    expect(prepareRunDir('run-1', undefined, cwd)).toBe(join(cwd, 'reports', 'run-1'));
    expect(readlinkSync(join(cwd, 'reports', 'latest'))).toBe('run-1');
    prepareRunDir('run-2', undefined, cwd);
    expect(readlinkSync(join(cwd, 'reports', 'latest'))).toBe('run-2');
  });

  test('--out is used as given and leaves latest alone', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'opsproof-kit-'));
    expect(prepareRunDir('run-1', 'custom/out', cwd)).toBe(join(cwd, 'custom', 'out'));
    expect(() => readlinkSync(join(cwd, 'custom', 'latest'))).toThrow();
  });
});

describe('validateUsage', () => {
  const bad = (message: string, hint?: string) => () => {
    throw new UsageError(message, hint ? { hint } : undefined);
  };
  test('passes when every check does', () => {
    expect(() => validateUsage([() => {}, () => {}])).not.toThrow();
  });
  test('one problem is thrown as it is', () => {
    expect(() => validateUsage([() => {}, bad('--kpi "x" is not a threshold', 'syntax')])).toThrow(
      expect.objectContaining({ message: '--kpi "x" is not a threshold', hint: 'syntax' }),
    );
  });
  test('several are listed in one usage error with their hints once each', () => {
    expect(() => validateUsage([bad('a', 'h1'), bad('b', 'h1'), bad('c', 'h2')])).toThrow(
      expect.objectContaining({
        name: 'UsageError',
        message: '3 problems with the arguments:\n  - a\n  - b\n  - c',
        hint: 'h1; h2',
      }),
    );
  });
  test('anything but a usage error is not swallowed', () => {
    expect(() =>
      validateUsage([
        () => {
          throw new TypeError('bug');
        },
      ]),
    ).toThrow(TypeError);
  });
});

describe('parseKpiFlags', () => {
  test.each([
    ['fast please', '--kpi "fast please" is not a threshold'],
    ['p95<300', '--kpi "p95<300" is not a threshold'],
    ['p(95)<', '--kpi "p(95)<" is not a threshold'],
    ['latency<3', '--kpi "latency<3" is not a threshold'],
    ['', '--kpi "" is not a threshold'],
    ['rate<2', '--kpi "rate<2": rate is a fraction between 0 and 1'],
    ['p(99)<-5', '--kpi "p(99)<-5": the limit must not be negative'],
  ])('%j is a usage error with the one KPI hint', (expression, message) => {
    const { thresholds, checks } = parseKpiFlags(['p(99)<800', expression]);
    expect(thresholds.map((t) => t.source)).toEqual(['p(99)<800']);
    expect(checks).toHaveLength(1);
    expect(() => validateUsage(checks)).toThrow(
      expect.objectContaining({ name: 'UsageError', message, hint: KPI_SYNTAX_HINT }),
    );
  });

  test('good values are parsed once into the thresholds the run is held to', () => {
    const { thresholds, checks } = parseKpiFlags(['p(95) < 300', 'rate<0.01', 'rps>100']);
    expect(checks).toEqual([]);
    expect(thresholds).toEqual(
      ['p(95)<300', 'rate<0.01', 'rps>100'].map(
        (e) => (parseThreshold(e) as { threshold: unknown }).threshold,
      ),
    );
    expect(parseKpiFlags(undefined)).toEqual({ thresholds: [], checks: [] });
  });
});
