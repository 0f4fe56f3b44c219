import { expect, test } from 'vitest';
import { loadProfileSchema } from '../core/schema.ts';
import { buildRequestMix, createCorrelationIds, prepareRequest } from './build-request-mix.ts';

const requestsOf = (requests: unknown) => loadProfileSchema.parse({ rate: 1, requests }).requests;

test.each([
  { weights: [6, 3, 1], n: 10, expected: [6, 3, 1] },
  { weights: [1, 1], n: 100, expected: [50, 50] },
  { weights: [0.5, 1.5], n: 8, expected: [2, 6] },
])('weights $weights over $n picks give $expected', ({ weights, n, expected }) => {
  const mix = buildRequestMix(requestsOf(weights.map((weight, i) => ({ name: `r${i}`, path: '/', weight }))));
  const counts = weights.map(() => 0);
  for (let i = 0; i < n; i++) counts[Number(mix.pick().name.slice(1))]! += 1;
  expect(counts).toEqual(expected);
});

test.each([
  { expectStatus: undefined, status: 200, ok: true },
  { expectStatus: undefined, status: 302, ok: true },
  { expectStatus: undefined, status: 404, ok: false },
  { expectStatus: undefined, status: 503, ok: false },
  { expectStatus: 201, status: 200, ok: false },
  { expectStatus: 201, status: 201, ok: true },
  { expectStatus: [200, 404], status: 404, ok: true },
])('expectStatus $expectStatus, status $status → success $ok', ({ expectStatus, status, ok }) => {
  const [request] = requestsOf([{ path: '/', expectStatus }]);
  expect(prepareRequest(request!).isSuccess(status)).toBe(ok);
});

test('bodies: objects become JSON with a content type; env headers are overridden by request headers', () => {
  const [request] = requestsOf([
    { method: 'POST', path: '/api', body: { a: 1 }, headers: { Authorization: 'mine' } },
  ]);
  const prepared = prepareRequest(request!, { authorization: 'env', 'x-env': '1' });
  expect(prepared.body).toBe('{"a":1}');
  expect(prepared.name).toBe('POST /api');
  expect(prepared.headers).toEqual([
    'authorization',
    'mine',
    'x-env',
    '1',
    'content-type',
    'application/json',
  ]);
});

test('correlation ids are unique within a run', () => {
  const next = createCorrelationIds('run');
  const ids = new Set(Array.from({ length: 1000 }, next));
  expect(ids.size).toBe(1000);
  expect(next()).toMatch(/^run-[0-9a-z]+$/);
});
