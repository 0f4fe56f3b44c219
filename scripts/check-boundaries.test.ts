import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';

/**
 * DESIGN.md's folder table is enforced by dependency-cruiser (.dependency-cruiser.cjs), the same
 * command `npm run boundaries` runs. The tree passes it; a miniature tree with one wrong import per
 * rule (scripts/fixtures/wrong-imports/) fails it, each import by the rule it breaks.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const config = fileURLToPath(new URL('../.dependency-cruiser.cjs', import.meta.url));
const depcruise = fileURLToPath(
  new URL('../node_modules/dependency-cruiser/bin/dependency-cruise.mjs', import.meta.url),
);
const wrongImports = fileURLToPath(new URL('./fixtures/wrong-imports/', import.meta.url));

interface Violation {
  rule: string;
  from: string;
  to: string;
}

/** Runs the boundary check in `cwd` as `npm run boundaries` does (`err-long`) or for its `json` report. */
async function runCheck(
  cwd: string,
  outputType: 'err-long' | 'json',
): Promise<{ code: number; stdout: string }> {
  return promisify(execFile)(
    process.execPath,
    [depcruise, '--config', config, '--output-type', outputType, '.'],
    {
      cwd,
      maxBuffer: 64 * 1024 * 1024,
    },
  ).then(
    (ok) => ({ code: 0, stdout: ok.stdout }),
    (error: { code?: number; stdout?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? '' }),
  );
}

/** The violations the check reports in `cwd`, each with its rule. */
async function findViolations(cwd: string): Promise<Violation[]> {
  const report = JSON.parse((await runCheck(cwd, 'json')).stdout) as {
    summary: { violations: { rule: { name: string }; from: string; to: string }[] };
  };
  return report.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
}

describe('folder boundaries (DESIGN.md, "Folders")', () => {
  test('the tree keeps them', { timeout: 120_000 }, async () => {
    const check = await runCheck(root, 'err-long');
    expect(check.stdout).toMatch(/no dependency violations found/);
    expect(check.code).toBe(0);
  });

  describe('a wrong-way import fails the check, naming its rule', () => {
    let violations: Violation[];
    beforeAll(async () => {
      violations = await findViolations(wrongImports);
    });

    test('the check exits non-zero and says which rule', { timeout: 60_000 }, async () => {
      const check = await runCheck(wrongImports, 'err-long');
      expect(check.code).not.toBe(0);
      expect(check.stdout).toMatch(
        /error engines-never-import-runner: chaos\/run-local-experiment\.ts → runner\/stage\.ts/,
      );
    });

    test.each([
      ['folder-row-core', 'core/events.ts', 'telemetry/types.ts'],
      ['no-cycles', 'core/cycle-a.ts', 'core/cycle-b.ts'],
      ['telemetry-providers-apart', 'telemetry/aws/aws-telemetry.ts', 'telemetry/embedded/log-store.ts'],
      ['telemetry-shared-above-providers', 'telemetry/port.ts', 'telemetry/embedded/log-store.ts'],
      ['engines-never-import-runner', 'chaos/run-local-experiment.ts', 'runner/stage.ts'],
      ['nothing-imports-cli', 'runner/print-name.ts', 'cli/main.ts'],
      ['only-cli-imports-demo', 'runner/start-demo.ts', 'demo/server.ts'],
      ['product-never-imports-test-code', 'load/profile.ts', 'test-support/test-servers.ts'],
      ['folder-row-reports', 'reports/format-value.ts', 'core/load-config.ts'],
      ['folder-row-canaries', 'canaries/run-canaries.ts', 'load/profile.ts'],
      ['folder-has-a-row', 'newfolder/helper.ts', 'core/run-result.ts'],
    ])('%s: %s → %s', (rule, from, to) => {
      expect(violations).toContainEqual({ rule, from, to });
    });

    test('each wrong import once, and the right-way imports beside them pass', () => {
      // cli/demo.ts → demo/, reports/build-json.ts → core/run-result.ts and
      // load/fixtures/ → test-support/ are allowed.
      expect(violations).toHaveLength(11);
    });
  });
});
