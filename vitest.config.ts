import { defineConfig } from 'vitest/config';
import { SERIAL_TEST_FILES, sharedTestConfig } from './vitest.serial-files.ts';

/** The parallel pass: every test file except the timing-sensitive ones (see vitest.serial.config.ts). */
export default defineConfig({
  ...sharedTestConfig,
  test: {
    ...sharedTestConfig.test,
    include: ['**/*.test.ts'],
    exclude: [...sharedTestConfig.test.exclude, ...SERIAL_TEST_FILES],
  },
});
