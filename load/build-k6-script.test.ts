import { expect, test } from 'vitest';
import { loadProfileSchema } from '../core/schema.ts';
import { buildK6Scenarios, K6_MEASURED_SCENARIO } from './build-k6-script.ts';

test.each([
  {
    name: 'open model: pre-allocated VUs from the rate, the in-flight cap as maxVUs',
    profile: { rate: 200, duration: '30s' },
    vus: { preAllocatedVUs: 40, maxVUs: 1000 },
  },
  {
    name: 'open model with connections: they are the VUs to start with',
    profile: { rate: 200, duration: '30s', connections: 120 },
    vus: { preAllocatedVUs: 120, maxVUs: 1000 },
  },
  {
    name: 'never more pre-allocated VUs than the in-flight cap',
    profile: { rate: 200, duration: '30s', connections: 120, maxInFlight: 50 },
    vus: { preAllocatedVUs: 50, maxVUs: 50 },
  },
  {
    name: 'a low rate still pre-allocates 10',
    profile: { rate: 5, duration: '30s' },
    vus: { preAllocatedVUs: 10, maxVUs: 1000 },
  },
])('$name', ({ profile, vus }) => {
  const scenarios = buildK6Scenarios(loadProfileSchema.parse(profile));
  expect(scenarios[K6_MEASURED_SCENARIO]).toMatchObject({ executor: 'constant-arrival-rate', ...vus });
});

test('closed model: connections are constant VUs', () => {
  const scenarios = buildK6Scenarios(
    loadProfileSchema.parse({ model: 'closed', connections: 8, duration: '10s', warmup: '2s' }),
  );
  expect(scenarios).toEqual({
    warmup: { executor: 'constant-vus', vus: 8, duration: '2s' },
    [K6_MEASURED_SCENARIO]: { executor: 'constant-vus', vus: 8, duration: '10s', startTime: '2s' },
  });
});
