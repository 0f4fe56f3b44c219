/**
 * Issue 16: the open engine's figures are the target's, whatever its latency, with default flags.
 * Each server runs in a child process and records what it did; the truth is computed from that
 * record. Timing-sensitive: listed in vitest.serial-files.ts.
 */
import { expect, test } from 'vitest';
import { loadProfileSchema } from '../core/schema.ts';
import {
  blockServerLatencies,
  percentileOf,
  type RecordingBehaviour,
  startRecordingServer,
} from '../test-support/test-servers.ts';
import { runOpenEngine } from './open-engine.ts';

const within = (measured: number, truth: number, tolerance: number, what: string) =>
  expect(
    Math.abs(measured - truth) / truth,
    `${what}: ${measured} ms against a true ${truth.toFixed(1)} ms (±${tolerance * 100} %)`,
  ).toBeLessThanOrEqual(tolerance);

interface Case {
  name: string;
  server: RecordingBehaviour;
  rate: number;
  duration: string;
  p99Tolerance: number;
}

const cases: Case[] = [
  {
    name: 'a fixed 1.5 s server at 100 req/s',
    server: { kind: 'fixed', ms: 1500 },
    rate: 100,
    duration: '3s',
    p99Tolerance: 0.05,
  },
  {
    name: 'a fixed 300 ms server at 1 000 req/s',
    server: { kind: 'fixed', ms: 300 },
    rate: 1000,
    duration: '3s',
    p99Tolerance: 0.05,
  },
  {
    name: 'a fixed 100 ms server at 200 req/s',
    server: { kind: 'fixed', ms: 100 },
    rate: 200,
    // 2 000 samples: one pause of the generator (a major GC, ~20 ms here) moves the 20th-highest
    // less than it moves the 6th of 3 s.
    duration: '10s',
    p99Tolerance: 0.02,
  },
  {
    name: 'a server (20 ms) whose event loop stops 200 ms once a second, at 500 req/s',
    server: { kind: 'block', ms: 20, stallMs: 200, periodMs: 1000 },
    rate: 500,
    duration: '4s',
    p99Tolerance: 0.05,
  },
];

// A case gets two more tries: on a 2-core machine a major GC of the generator's process or another
// process's burst can land in one run's top percentile (the 100 ms case missed its 2 % in 1 of 6
// quiet runs); an engine that is really off misses every try (the hill climber read +3–6 %).
test.each(cases)(
  '$name: p50 and p99 within 5 % of the truth (the 100 ms case p99 within 2 %)',
  { timeout: 20_000, retry: 2 },
  async ({ server: behaviour, rate, duration, p99Tolerance }) => {
    const server = await startRecordingServer(behaviour);
    let summary: Awaited<ReturnType<typeof runOpenEngine>>;
    let record: Awaited<ReturnType<typeof server.close>>;
    try {
      summary = await runOpenEngine(loadProfileSchema.parse({ rate, duration }), { target: server.url });
    } finally {
      record = await server.close();
    }
    const truth =
      behaviour.kind === 'fixed'
        ? record.handledMs
        : blockServerLatencies({
            serviceMs: percentileOf(record.handledMs, 50),
            stallMs: record.stallsMs.reduce((a, b) => a + b, 0) / record.stallsMs.length,
            periodMs: behaviour.periodMs,
          });
    expect(summary.requests).toBe(rate * Number.parseInt(duration, 10));
    expect(summary.errors).toBe(0);
    expect(summary.dropped).toBe(0);
    within(summary.latencyMs.p50, percentileOf(truth, 50), 0.05, 'p50');
    within(summary.latencyMs.p99, percentileOf(truth, 99), p99Tolerance, 'p99');
    // The generator's own lag is measured apart (whether it is material depends on the machine's
    // load; evaluate-kpis.test.ts holds the rule).
    const lag = summary.sendLagMs!;
    expect(lag.p50).toBeLessThanOrEqual(lag.p99);
    expect(lag.p99).toBeLessThanOrEqual(lag.max);
  },
);
