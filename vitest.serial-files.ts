import { fileURLToPath } from 'node:url';

/**
 * Test files that measure time (latency accuracy, deadlines under signals, ticks per second, the
 * whole gate). They run in a second vitest pass, one file at a time, after the parallel pass, so
 * CPU-heavy files (Chromium, synth, k6) running beside them cannot skew what they measure.
 */
export const SERIAL_TEST_FILES = [
  'load/accuracy.test.ts',
  'load/engine-truth.test.ts',
  'load/open-engine.test.ts',
  'chaos/fault-gateway.test.ts',
  'reliability/faults-never-outlive.test.ts',
  'reliability/under-load.test.ts',
  'runner/gate.full.test.ts',
];

/** Settings both passes share. */
export const sharedTestConfig = {
  resolve: {
    alias: { opsproof: fileURLToPath(new URL('./index.ts', import.meta.url)) },
  },
  test: {
    exclude: ['node_modules/**', 'reports/*/**', 'cdk.out/**', '.tools/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks' as const,
  },
};
