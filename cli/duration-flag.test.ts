import { describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.ts';
import { parseDurationFlag } from './duration-flag.ts';

describe('parseDurationFlag', () => {
  it.each([
    { value: '30s', ms: 30_000 },
    { value: '5m', ms: 300_000 },
    { value: '1m30s', ms: 90_000 },
    { value: '250ms', ms: 250 },
    { value: 'PT5M', ms: 300_000 },
    { value: '0', ms: 0 },
    { value: '0s', ms: 0 },
    { value: ' 10s ', ms: 10_000 },
  ])('$value → $ms ms', ({ value, ms }) => {
    expect(parseDurationFlag('duration', value, '30s or 5m')).toBe(ms);
  });

  it.each([
    { value: '10', message: '--duration needs a unit, got "10"', hint: 'write 10s for seconds or 10ms' },
    { value: '1.5', message: '--duration needs a unit, got "1.5"', hint: 'write 1.5s for seconds' },
    { value: 'soon', message: '--duration expects a duration like 30s or 5m, got "soon"', hint: undefined },
    { value: '', message: '--duration expects a duration like 30s or 5m, got ""', hint: undefined },
    { value: '10 s', message: '--duration expects a duration like 30s or 5m, got "10 s"', hint: undefined },
  ])('$value is refused', ({ value, message, hint }) => {
    let thrown: unknown;
    try {
      parseDurationFlag('duration', value, '30s or 5m');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    expect((thrown as UsageError).message).toBe(message);
    if (hint) expect((thrown as UsageError).hint).toContain(hint);
  });
});
