import { defineConfig } from 'vitest/config';
import { SERIAL_TEST_FILES, sharedTestConfig } from './vitest.serial-files.ts';

/** The serial pass: timing-sensitive files, one at a time, with nothing else running beside them. */
export default defineConfig({
  ...sharedTestConfig,
  test: { ...sharedTestConfig.test, include: SERIAL_TEST_FILES, fileParallelism: false },
});
