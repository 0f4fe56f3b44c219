import { describe, expect, test } from 'vitest';
import { UsageError } from '../core/errors.ts';
import { type LoadProfileInput, loadProfileSchema } from '../core/schema.ts';
import { buildProfile, type ProfileFlags } from './load-run.ts';

const named: LoadProfileInput = { rate: 50, duration: '1m', warmup: '5s', connections: 10 };

describe('buildProfile: flags over a profile', () => {
  test.each<{
    why: string;
    base: LoadProfileInput;
    flags: ProfileFlags;
    expected: Partial<LoadProfileInput>;
  }>([
    {
      why: 'ad hoc --rate is the open model',
      base: {},
      flags: { rate: '200', duration: '10s' },
      expected: { model: 'open', rate: 200, duration: '10s', warmup: '0s' },
    },
    {
      why: '--connections alone is the closed model',
      base: {},
      flags: { connections: '8' },
      expected: { model: 'closed', connections: 8 },
    },
    {
      why: '--connections with --rate: the open model starts with that many',
      base: {},
      flags: { rate: '2000', connections: '250' },
      expected: { model: 'open', rate: 2000, connections: 250 },
    },
    {
      why: '--warmup is left out of the statistics',
      base: {},
      flags: { rate: '20000', duration: '5m', warmup: '10s' },
      expected: { model: 'open', rate: 20000, duration: '5m', warmup: '10s' },
    },
    {
      why: 'a named profile keeps what no flag overrides',
      base: named,
      flags: { duration: '30s' },
      expected: { model: 'open', rate: 50, duration: '30s', warmup: '5s', connections: 10 },
    },
    {
      why: '--warmup 0s removes a named profile’s warm-up',
      base: named,
      flags: { warmup: '0s' },
      expected: { rate: 50, warmup: '0s' },
    },
    {
      why: '--rate replaces a named profile’s stages',
      base: { stages: [{ target: 100, duration: '1m' }] },
      flags: { rate: '10' },
      expected: { model: 'open', rate: 10 },
    },
  ])('$why', ({ base, flags, expected }) => {
    const profile = buildProfile(base, flags, loadProfileSchema);
    expect(profile).toMatchObject(expected);
    if (flags.rate !== undefined) expect(profile.stages ?? []).toEqual([]);
  });

  test.each<{ flags: ProfileFlags; message: RegExp }>([
    { flags: { rate: '0' }, message: /--rate must be a number of requests per second above 0, got "0"/ },
    { flags: { rate: '-5' }, message: /--rate must be .* got "-5"/ },
    { flags: { rate: 'fast' }, message: /--rate must be .* got "fast"/ },
    { flags: { connections: '0' }, message: /--connections must be a whole number of at least 1, got "0"/ },
    { flags: { connections: '2.5' }, message: /--connections must be a whole number/ },
    {
      flags: { rate: '10', duration: 'soon' },
      message: /--duration expects a duration like 30s or 5m, got "soon"/,
    },
    {
      flags: { rate: '10', warmup: 'a bit' },
      message: /--warmup expects a duration like 10s or 0s, got "a bit"/,
    },
    { flags: { rate: '10', duration: '10' }, message: /--duration needs a unit, got "10"/ },
    { flags: { rate: '10', warmup: '5' }, message: /--warmup needs a unit, got "5"/ },
    { flags: { duration: '10s' }, message: /an open-model run needs --rate N/ },
  ])('$flags → usage error', ({ flags, message }) => {
    const error = (() => {
      try {
        buildProfile({}, flags, loadProfileSchema);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });
});
