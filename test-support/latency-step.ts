import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, vi } from 'vitest';
import { startBehaviourServer, type TestServer } from './test-servers.ts';

export interface LatencyStep {
  /** A fresh temporary folder, removed after the file's tests. */
  dir: string;
  /** Answers every request after 20 ms. */
  readonly fast: TestServer;
  /** Answers every request after 1500 ms: a baseline held to `fast` regresses. */
  readonly slow: TestServer;
}

/**
 * For the baseline tests: registers the file's beforeAll/afterAll that start a fast and a slow
 * server (worker threads: in this thread their timers would delay the generator's), turn
 * screenshots off and set `CI=true`, then undo all of it and remove `dir`.
 */
export function useLatencyStep(prefix: string): LatencyStep {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let servers: [TestServer, TestServer] | undefined;
  beforeAll(async () => {
    servers = await Promise.all([
      startBehaviourServer({ kind: 'fixed', ms: 20 }),
      startBehaviourServer({ kind: 'fixed', ms: 1500 }),
    ]);
    vi.stubEnv('OPSPROOF_SCREENSHOT', '0');
    vi.stubEnv('CI', 'true');
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await Promise.all((servers ?? []).map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  const started = (): [TestServer, TestServer] => {
    if (!servers) throw new Error('useLatencyStep: the servers start in beforeAll, read them in a test');
    return servers;
  };
  return {
    dir,
    get fast() {
      return started()[0];
    },
    get slow() {
      return started()[1];
    },
  };
}
