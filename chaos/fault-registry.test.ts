import { expect, test } from 'vitest';
import { createManualClock } from '../core/clock.ts';
import { createFaultRegistry, type Fault } from './fault-registry.ts';
import { parseFaultSpec } from './parse-fault-spec.ts';

const spec = parseFaultSpec('error:status=503,path=/api/*');

function registry() {
  const clock = createManualClock();
  const started: string[] = [];
  const ended: Fault[] = [];
  const faults = createFaultRegistry({
    clock,
    onStart: (f) => started.push(f.id),
    onEnd: (f) => ended.push(f),
  });
  return { clock, faults, started, ended };
}

test('a fault ends by itself when its TTL passes, keeping its final counts', async () => {
  const { clock, faults, started, ended } = registry();
  const fault = faults.add(spec, 1000, { experiment: 'e', action: 'a' });
  expect(started).toEqual([fault.id]);
  expect(fault).toMatchObject({
    spec: 'error:status=503,percent=100,path=/api/*',
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-01T00:00:01.000Z',
    experiment: 'e',
  });
  const snapshot = faults.active;
  faults.countRequest(faults.active, '/api/x', ['injected']);
  faults.countRequest(faults.active, '/health', ['unmatched']);
  faults.countRequest(faults.active, '/api/y', ['matched']);
  await clock.advance(999);
  expect(faults.list()).toHaveLength(1);
  await clock.advance(1);
  expect(faults.active).toEqual([]);
  // A request that read the list before keeps it unchanged: ending a fault makes a new one.
  expect(snapshot).toHaveLength(1);
  const final = {
    endReason: 'ttl',
    endedAt: '2026-01-01T00:00:01.000Z',
    seenRequests: 3,
    matchedRequests: 2,
    injectedRequests: 1,
    seenPaths: ['/api/x', '/health', '/api/y'],
  };
  expect(ended).toMatchObject([final]);
  expect(faults.get(fault.id)).toMatchObject(final);
  // Ended once: a later end of the same fault is refused.
  expect(faults.end(fault.id, 'cleared')).toBe(false);
  expect(ended).toHaveLength(1);
});

test('a TTL beyond the maximum is refused; endAll ends every active fault; only the last 100 ended are kept', async () => {
  const { faults, ended } = registry();
  expect(() => faults.add(spec, 13 * 3_600_000)).toThrow(/maximum of 12h1m/);
  const first = faults.add(spec, 1000);
  for (let i = 0; i < 100; i++) faults.add(spec, 1000);
  expect(faults.endAll('stopped')).toBe(101);
  expect(faults.endAll('stopped')).toBe(0);
  expect(ended.every((f) => f.endReason === 'stopped')).toBe(true);
  expect(faults.get(first.id)).toBeUndefined();
  expect(faults.get(ended[1]!.id)).toMatchObject({ endReason: 'stopped' });
});
