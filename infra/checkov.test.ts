import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { loadCanaries } from '../canaries/load-canaries.ts';
import { loadSuite } from '../core/load-config.ts';
import {
  FIS_FAMILIES_WITH_ROLES,
  fisFixtureExperiment,
  fisFixtureSuite,
  parseSuite,
  writeFixtureCanaryZip,
} from '../test-support/infra-fixtures.ts';
import { createOpsproofApp } from './create-app.ts';

// checkov (the pip package, in .tools/checkov: it pins a boto3 that moto's venv cannot share) on the synthesized templates: every CloudFormation
// check passes or is skipped in the template with its reason (Metadata.checkov.skip), as cdk-nag's are.
const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const checkov = [process.env.OPSPROOF_CHECKOV, join(root, '.tools/checkov/bin/checkov')].find(
  (p): p is string => p !== undefined && existsSync(p),
);
const missing = checkov === undefined && process.env.CI !== 'true';

interface CheckovReport {
  results: {
    failed_checks?: { check_id: string; resource: string; check_name: string }[];
    skipped_checks?: { check_id: string; resource: string; check_result: { suppress_comment?: string } }[];
  };
  summary: { passed: number; failed: number; skipped: number; parsing_errors: number };
}

test.skipIf(missing)(
  'checkov reports no unsuppressed failure on the demo stacks, a VPC canary stack with header secrets and a stack with the FIS family templates and their roles',
  async () => {
    if (!checkov)
      throw new Error(
        'checkov not found: run `node scripts/setup.mjs --only checkov`, or set OPSPROOF_CHECKOV',
      );
    const dir = mkdtempSync(join(tmpdir(), 'opsproof-checkov-'));
    const loaded = await loadSuite({ cwd: root });
    const found = await loadCanaries(loaded);
    const canaries = await Promise.all(
      found.canaries.map((c) => writeFixtureCanaryZip(join(dir, 'zips'), c.definition.options.name)),
    );
    const demo = createOpsproofApp({ suite: loaded.suite, canaries, outdir: join(dir, 'demo') });
    const demoAssembly = demo.app.synth();
    const vpcSuite = parseSuite({
      service: 'orders',
      environments: {
        staging: {
          target: 'https://internal.orders.example.com',
          provider: 'aws',
          region: 'eu-west-1',
          aws: { vpc: { subnetIds: ['subnet-0a1b2c3d'], securityGroupIds: ['sg-0123abcd'] } },
          headers: { authorization: 'Bearer ${secret:TOKEN}' },
          secrets: { TOKEN: { secretsManager: 'orders/canary' } },
        },
      },
    });
    const vpc = createOpsproofApp({
      suite: vpcSuite,
      canaries: canaries.slice(0, 1),
      outdir: join(dir, 'vpc'),
    });
    const vpcAssembly = vpc.app.synth();
    // Every FIS action family with a generated role (the IAM checks read their statements).
    const fis = createOpsproofApp({
      suite: fisFixtureSuite(
        Object.fromEntries(FIS_FAMILIES_WITH_ROLES.map((f) => [f, fisFixtureExperiment(f)])),
      ),
      canaries: canaries.slice(0, 1),
      outdir: join(dir, 'fis'),
    });
    const fisAssembly = fis.app.synth();
    const files = [
      ...demo.stacks.map((s) =>
        join(demoAssembly.directory, demoAssembly.getStackByName(s.stackName).templateFile),
      ),
      ...vpc.stacks.map((s) =>
        join(vpcAssembly.directory, vpcAssembly.getStackByName(s.stackName).templateFile),
      ),
      ...fis.stacks.map((s) =>
        join(fisAssembly.directory, fisAssembly.getStackByName(s.stackName).templateFile),
      ),
    ];
    expect(files).toHaveLength(4);
    // checkov exits 1 when a check fails; the JSON report says which.
    const { stdout } = await run(
      checkov,
      [...files.flatMap((f) => ['-f', f]), '--framework', 'cloudformation', '--quiet', '-o', 'json'],
      { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const parsed = JSON.parse(stdout) as CheckovReport | CheckovReport[];
    const reports = Array.isArray(parsed) ? parsed : [parsed];
    const failed = reports.flatMap((r) =>
      (r.results.failed_checks ?? []).map((f) => `${f.check_id} ${f.resource}: ${f.check_name}`),
    );
    expect(failed).toEqual([]);
    expect(reports.every((r) => r.summary.parsing_errors === 0)).toBe(true);
    expect(reports.reduce((n, r) => n + r.summary.passed, 0)).toBeGreaterThan(50);
    // `--quiet` lists failures only; the skips are in the summary, each carried with its reason in the template.
    expect(reports.reduce((n, r) => n + r.summary.skipped, 0)).toBeGreaterThan(0);
  },
  180_000,
);
