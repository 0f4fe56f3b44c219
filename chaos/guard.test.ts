import { describe, expect, test } from 'vitest';
import { UsageError } from '../core/errors.ts';
import { experimentSchema } from '../core/schema.ts';
import { type ChaosGuardInput, guardChaos } from './guard.ts';

const wait = { w: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1M' } } };
const guarded = experimentSchema.parse({
  actions: wait,
  stopConditions: [{ source: 'aws:cloudwatch:alarm', value: 'HighErrorRate' }],
});
const unguarded = experimentSchema.parse({ actions: wait });

const base: ChaosGuardInput = {
  envName: 'prod',
  env: { production: true, provider: 'aws' },
  experimentName: 'x',
  experiment: guarded,
  allowProduction: false,
  interactive: false,
};

describe('guardChaos', () => {
  test.each([
    ['non-production runs without flags', { env: { production: false, provider: 'embedded' } }, undefined],
    [
      'production without --allow-production',
      {},
      /refusing to run experiment x in production environment prod$/,
    ],
    ['production, non-interactive, no --confirm-env', { allowProduction: true }, /without confirmation/],
    [
      'production, non-interactive, wrong --confirm-env',
      { allowProduction: true, confirmEnv: 'staging' },
      /without confirmation/,
    ],
    [
      'production, non-interactive, --confirm-env prod',
      { allowProduction: true, confirmEnv: 'prod' },
      undefined,
    ],
    ['production, interactive, --allow-production', { allowProduction: true, interactive: true }, undefined],
    [
      'production without a stop condition',
      { allowProduction: true, confirmEnv: 'prod', experiment: unguarded },
      /no stop condition/,
    ],
  ] as [string, Partial<ChaosGuardInput>, RegExp | undefined][])('%s', (_what, input, refusal) => {
    const run = () => guardChaos({ ...base, ...input });
    if (refusal === undefined) expect(run).not.toThrow();
    else {
      expect(run).toThrow(UsageError);
      expect(run).toThrow(refusal);
    }
  });

  test('the refusal says which flags to pass', () => {
    try {
      guardChaos(base);
      expect.unreachable();
    } catch (error) {
      expect((error as UsageError).hint).toBe('pass --allow-production --confirm-env prod if you mean it');
    }
  });
});
