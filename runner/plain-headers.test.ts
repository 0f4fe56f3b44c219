import { expect, test } from 'vitest';
import { plainHeaders } from './plain-headers.ts';

const rows: { headers: Record<string, string> | undefined; want: Record<string, string> }[] = [
  { headers: undefined, want: {} },
  { headers: { 'x-team': 'payments' }, want: { 'x-team': 'payments' } },
  {
    headers: { authorization: 'Bearer ${secret:env:TOKEN}', 'x-team': 'payments' },
    want: { 'x-team': 'payments' },
  },
];

test.each(rows)('$headers → $want', ({ headers, want }) => {
  expect(plainHeaders({ headers })).toEqual(want);
});
