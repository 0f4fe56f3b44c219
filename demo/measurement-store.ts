import { randomUUID } from 'node:crypto';
import type { MeasurementInput, MeasurementUnit } from './validate-measurement.ts';

/** A stored measurement, as the API returns it. */
export interface Measurement {
  id: string;
  sensor: string;
  value: number;
  unit: MeasurementUnit;
  /** When the sensor took it (the client's `recordedAt`, else `createdAt`). */
  recordedAt: string;
  /** When the service stored it. */
  createdAt: string;
}

/** What the server needs from a store; tests pass failing ones to exercise the 5xx path. */
export interface MeasurementStore {
  add(input: MeasurementInput, now: Date): Measurement;
  get(id: string): Measurement | undefined;
  /** Newest first. */
  list(query: { sensor?: string; limit: number }): Measurement[];
  readonly size: number;
  readonly capacity: number;
}

/** @defaultValue 10 000 measurements, so a long load test cannot grow the process without bound. */
export const DEFAULT_STORE_CAPACITY = 10_000;

/**
 * In-memory store holding at most `capacity` measurements; adding to a full store evicts the
 * oldest. A ring buffer keeps add, evict and newest-first listing free of array shifting, which
 * matters at thousands of requests per second.
 */
export function createMeasurementStore(capacity = DEFAULT_STORE_CAPACITY): MeasurementStore {
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new RangeError(`store capacity must be a positive integer, got ${capacity}`);
  }
  const ring: (Measurement | undefined)[] = new Array(capacity);
  const byId = new Map<string, Measurement>();
  // Index the next measurement goes to; the oldest sits there too once the ring is full.
  let next = 0;
  let size = 0;

  return {
    capacity,
    get size() {
      return size;
    },
    add(input, now) {
      const createdAt = now.toISOString();
      const measurement: Measurement = {
        id: randomUUID(),
        sensor: input.sensor,
        value: input.value,
        unit: input.unit,
        recordedAt: input.recordedAt ?? createdAt,
        createdAt,
      };
      const evicted = ring[next];
      if (evicted) byId.delete(evicted.id);
      ring[next] = measurement;
      byId.set(measurement.id, measurement);
      next = (next + 1) % capacity;
      if (size < capacity) size++;
      return measurement;
    },
    get(id) {
      return byId.get(id);
    },
    list({ sensor, limit }) {
      const found: Measurement[] = [];
      for (let i = 1; i <= size && found.length < limit; i++) {
        const measurement = ring[(next - i + capacity) % capacity];
        if (measurement && (sensor === undefined || measurement.sensor === sensor)) found.push(measurement);
      }
      return found;
    },
  };
}
