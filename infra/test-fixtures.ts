import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import JSZip from 'jszip';
import type { Suite, SuiteInput } from '../core/schema.ts';
import { suiteSchema } from '../core/schema.ts';
import type { PackagedCanary } from './synthetics-canaries.ts';

/** A stand-in for a packaged canary zip: infra tests only need a file CDK can hash and copy. */
export async function writeFixtureCanaryZip(dir: string, name: string): Promise<PackagedCanary> {
  mkdirSync(dir, { recursive: true });
  const zip = new JSZip();
  zip.file('index.mjs', `export const handler = async () => '${name}';\n`);
  const zipPath = join(dir, `${name}.zip`);
  // A fixed date keeps the asset hash stable between runs.
  const bytes = await zip.generateAsync({
    type: 'uint8array',
    date: new Date(Date.UTC(2024, 0, 1)),
  } as JSZip.JSZipGeneratorOptions<'uint8array'>);
  writeFileSync(zipPath, bytes);
  return {
    name,
    zipPath,
    handler: 'index.handler',
    runtimeVersion: 'syn-nodejs-playwright-6.0',
    schedule: 'rate(5 minutes)',
  };
}

export function parseSuite(input: SuiteInput): Suite {
  return suiteSchema.parse(input);
}
