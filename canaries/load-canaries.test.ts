import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { suiteSchema } from '../core/schema.ts';
import { CANARY_NAME_RULE } from './define-canary.ts';
import { loadCanaries } from './load-canaries.ts';

// Plain-JS canaries can skip defineCanary's checks; the loader applies the same rule (AWS's), so a
// canary that loads here also deploys.
const dir = mkdtempSync(join(tmpdir(), 'opsproof-load-canaries-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plain = (options: Record<string, unknown>) =>
  `export default { kind: 'opsproof.canary', options: ${JSON.stringify(options)}, fn: async () => {} };\n`;

test.each([
  ['Web.Form', { name: 'Web.Form', type: 'api' }, CANARY_NAME_RULE.text],
  ['memory', { name: 'memory', type: 'api', memoryMb: 1000 }, 'memoryMb'],
  ['runtime', { name: 'runtime', type: 'api', runtimeVersion: 'syn-nodejs-puppeteer-9.1' }, 'runtimeVersion'],
])(
  'a plain-JS canary %s that Synthetics would refuse is a load failure naming the rule',
  async (file, options, why) => {
    writeFileSync(join(dir, `${file}.canary.mjs`), plain(options));
    const loaded = {
      suite: suiteSchema.parse({
        service: 's',
        environments: { local: { target: 'http://127.0.0.1:1' } },
        canaries: { files: [`${file}.canary.mjs`] },
      }),
      file: join(dir, 'opsproof.config.ts'),
      dir,
      warnings: [],
    };
    const { canaries, failures } = await loadCanaries(loaded);
    expect(canaries).toEqual([]);
    expect(failures).toHaveLength(1);
    expect(failures[0]?.error).toContain(why);
  },
);

test('a plain-JS canary within the rules loads', async () => {
  writeFileSync(join(dir, 'ok.canary.mjs'), plain({ name: 'ok_name-1', type: 'api', memoryMb: 2048 }));
  const loaded = {
    suite: suiteSchema.parse({
      service: 's',
      environments: { local: { target: 'http://127.0.0.1:1' } },
      canaries: { files: ['ok.canary.mjs'] },
    }),
    file: join(dir, 'opsproof.config.ts'),
    dir,
    warnings: [],
  };
  const { canaries, failures } = await loadCanaries(loaded);
  expect(failures).toEqual([]);
  expect(canaries.map((c) => c.definition.options.name)).toEqual(['ok_name-1']);
});
