import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { SERIAL_TEST_FILES, sharedTestConfig } from './vitest.serial-files.ts';

/** The parallel pass: every test file except the timing-sensitive ones (see vitest.serial.config.ts). */
export default defineConfig({
  ...sharedTestConfig,
  test: {
    ...sharedTestConfig.test,
    include: ['**/*.test.ts'],
    exclude: [...sharedTestConfig.test.exclude, ...SERIAL_TEST_FILES],
    // Vitest's default (one worker fewer than CPUs) is a single worker on a 2-vCPU CI machine, so
    // this pass ran one file at a time; its files mostly wait on servers and child processes.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
