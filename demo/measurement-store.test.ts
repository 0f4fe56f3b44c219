import { expect, test } from 'vitest';
import { createMeasurementStore } from './measurement-store.ts';

const at = (second: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, second));

test('lists newest first, filters by sensor and honours the limit', () => {
  const store = createMeasurementStore(10);
  for (let i = 0; i < 6; i++) store.add({ sensor: i % 2 ? 'odd' : 'even', value: i, unit: 'percent' }, at(i));
  expect(store.list({ limit: 3 }).map((m) => m.value)).toEqual([5, 4, 3]);
  expect(store.list({ sensor: 'even', limit: 10 }).map((m) => m.value)).toEqual([4, 2, 0]);
  expect(store.list({ sensor: 'none', limit: 10 })).toEqual([]);
});

test('a full store evicts the oldest measurement, also from lookups by id', () => {
  const store = createMeasurementStore(3);
  const added = [1, 2, 3, 4, 5].map((value) => store.add({ sensor: 's', value, unit: 'pascal' }, at(value)));
  expect(store.size).toBe(3);
  expect(store.list({ limit: 10 }).map((m) => m.value)).toEqual([5, 4, 3]);
  expect(store.get(added[0]!.id)).toBeUndefined();
  expect(store.get(added[1]!.id)).toBeUndefined();
  expect(store.get(added[4]!.id)).toEqual(added[4]);
});

test('recordedAt defaults to the creation time', () => {
  const store = createMeasurementStore();
  const stored = store.add({ sensor: 's', value: 1, unit: 'celsius' }, at(7));
  expect(stored).toMatchObject({ recordedAt: at(7).toISOString(), createdAt: at(7).toISOString() });
  const explicit = store.add(
    { sensor: 's', value: 1, unit: 'celsius', recordedAt: at(1).toISOString() },
    at(7),
  );
  expect(explicit.recordedAt).toBe(at(1).toISOString());
});

test.each([0, -1, 1.5])('capacity %d is rejected', (capacity) => {
  expect(() => createMeasurementStore(capacity)).toThrow(RangeError);
});
