import { describe, expect, test } from 'vitest';
import {
  buildGlob,
  checkFaultTtl,
  FaultSpecError,
  formatFaultSpec,
  MAX_FAULT_TTL_MS,
  parseFaultSpec,
} from './parse-fault-spec.ts';

describe('parseFaultSpec', () => {
  test.each([
    ['error:status=503,percent=50', { kind: 'error', status: 503, percent: 50 }],
    ['error', { kind: 'error', status: 500, percent: 100 }],
    ['error:status=418,body=teapot', { kind: 'error', status: 418, body: 'teapot', percent: 100 }],
    ['latency:ms=300,jitter=50,percent=100', { kind: 'latency', ms: 300, jitter: 50, percent: 100 }],
    ['latency:ms=200', { kind: 'latency', ms: 200, jitter: 0, percent: 100 }],
    ['reset:percent=10', { kind: 'reset', percent: 10 }],
    ['blackhole:percent=5', { kind: 'blackhole', percent: 5 }],
    ['blackhole', { kind: 'blackhole', percent: 100 }],
    [
      'error:status=500,path=/api/*,method=post',
      { kind: 'error', status: 500, percent: 100, path: '/api/*', method: 'POST' },
    ],
    ['reset:method=*', { kind: 'reset', percent: 100 }],
    [' LATENCY : ms = 5 ', { kind: 'latency', ms: 5, jitter: 0, percent: 100 }],
    ['latency:ms=12.5,percent=0.5', { kind: 'latency', ms: 12.5, jitter: 0, percent: 0.5 }],
  ])('%s', (input, expected) => {
    expect(parseFaultSpec(input)).toEqual(expected);
  });

  test.each([
    ['', /empty/],
    ['explode', /unknown kind "explode"/],
    ['error:status=503,percnt=50', /unknown key "percnt" for error/],
    ['reset:ms=10', /unknown key "ms" for reset/],
    ['latency', /latency needs ms=/],
    ['latency:ms=-5', /ms must be a number from 0/],
    ['latency:ms=fast', /ms must be a number/],
    ['error:status=200', /status must be a number from 400 to 599/],
    ['error:status=503.5', /status must be a whole number/],
    ['error:percent=150', /percent must be a number from 0 to 100/],
    ['error:status', /expected key=value, got "status"/],
    ['error:status=', /key "status" has no value/],
    ['error:status=500,status=503', /given twice/],
    ['error:path=api/*', /path must start with "\/"/],
    ['error:method=PO ST', /method must be an HTTP method/],
  ])('rejects %j', (input, message) => {
    expect(() => parseFaultSpec(input)).toThrow(FaultSpecError);
    expect(() => parseFaultSpec(input)).toThrow(message);
  });

  test.each([
    'error:status=503,percent=50',
    'latency:ms=300,jitter=50,percent=100',
    'reset:percent=10,path=/api/*,method=POST',
    'blackhole:percent=5',
    'error:status=418,body=teapot,percent=100',
  ])('format round-trips %s', (spec) => {
    expect(formatFaultSpec(parseFaultSpec(spec))).toBe(spec);
  });
});

describe('buildGlob', () => {
  test.each([
    ['/api/*', '/api/measurements', true],
    ['/api/*', '/api/measurements/12', true],
    ['/api/*', '/health/ready', false],
    ['/api/*', '/api', false],
    ['/health/ready', '/health/ready', true],
    ['/a.b', '/aXb', false],
    ['*', '/anything', true],
  ])('%s ~ %s = %s', (glob, path, matches) => {
    expect(buildGlob(glob).test(path)).toBe(matches);
  });
});

describe('checkFaultTtl', () => {
  test.each([
    [1, undefined],
    [12 * 3_600_000, undefined],
    [MAX_FAULT_TTL_MS, undefined],
    [MAX_FAULT_TTL_MS + 1, /beyond the gateway's maximum of 12h1m/],
    [999_999 * 3_600_000, /beyond the gateway's maximum/],
    [0, /must be positive/],
    [-5, /must be positive/],
    [Number.NaN, /must be positive/],
    [Number.POSITIVE_INFINITY, /must be positive/],
  ])('%s ms → %s', (ttlMs, expected) => {
    const problem = checkFaultTtl(ttlMs);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });
});
