import { expect, test } from 'vitest';
import { loadSuite } from './load-config.ts';

test("the repository's own demo suite is valid", async () => {
  const loaded = await loadSuite({ cwd: new URL('..', import.meta.url).pathname });
  expect(loaded.suite.service).toBe('opsproof-demo');
  expect(Object.keys(loaded.suite.experiments)).toEqual(['api-latency', 'api-errors', 'process-kill']);
});
