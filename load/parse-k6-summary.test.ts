import { describe, expect, it } from 'vitest';
import { k6RunDurationMs } from './parse-k6-summary.ts';

describe('k6RunDurationMs', () => {
  const summary = (httpReqs: unknown) => JSON.stringify({ metrics: { http_reqs: httpReqs } });
  it.each([
    { why: '150 requests at 50/s ran 3 s', text: summary({ count: 150, rate: 50 }), ms: 3000 },
    { why: 'a fractional rate', text: summary({ count: 100, rate: 40 }), ms: 2500 },
    { why: 'no request sent', text: summary({ count: 0, rate: 0 }), ms: undefined },
    { why: 'no http_reqs metric', text: JSON.stringify({ metrics: {} }), ms: undefined },
    { why: 'a rate that is not a number', text: summary({ count: 10, rate: '5' }), ms: undefined },
    { why: 'a negative rate', text: summary({ count: 10, rate: -5 }), ms: undefined },
    { why: 'not JSON', text: 'k6 crashed', ms: undefined },
    { why: 'JSON null', text: 'null', ms: undefined },
  ])('$why → $ms', ({ text, ms }) => {
    expect(k6RunDurationMs(text)).toBe(ms);
  });
});
