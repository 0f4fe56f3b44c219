import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { loadSuite, resolveEnvironment } from '../core/load-config.ts';
import { repoPath } from '../core/tools.ts';
import { buildK6Script } from './build-k6-script.ts';
import { buildTestRunManifest } from './build-test-run.ts';
import { buildKpiThresholds } from './evaluate-kpis.ts';

/**
 * The k6 scripts and TestRun manifests shipped in load/k6/ are what `opsproof load k6 NAME` writes for
 * the demo suite (target http://127.0.0.1:8080); the scripts are then formatted by biome, the manifests
 * are as written. When the generator or the demo's profiles change, regenerate them:
 *   node bin/opsproof.js load k6 steady --out load/k6 --url http://127.0.0.1:8080 (and background)
 *   npx biome format --write load/k6/*.k6.ts
 */
const TARGET = 'http://127.0.0.1:8080';
const biome = repoPath('node_modules', '.bin', 'biome');
const loaded = await loadSuite({ cwd: repoPath() });
const env = resolveEnvironment(loaded.suite, 'local');

test.each(['steady', 'background'])('load/k6/%s.k6.ts and its TestRun match the generator', (name) => {
  const profile = loaded.suite.load.profiles[name];
  expect(profile, `demo profile ${name}`).toBeDefined();
  const thresholds = buildKpiThresholds(loaded.suite.kpis, env.kpis, profile!.thresholds);
  const generated = buildK6Script(profile!, { name, thresholds, target: TARGET });
  const file = join('load', 'k6', `${name}.k6.ts`);
  const formatted = execFileSync(biome, ['format', `--stdin-file-path=${repoPath(file)}`], {
    input: generated,
    encoding: 'utf8',
  });
  expect(readFileSync(repoPath(file), 'utf8')).toBe(formatted);
  const manifest = buildTestRunManifest({
    name,
    scriptFile: `${name}.k6.ts`,
    script: generated,
    parallelism: 1,
    target: TARGET,
  });
  expect(readFileSync(repoPath('load', 'k6', `${name}.testrun.yaml`), 'utf8')).toBe(manifest);
});
