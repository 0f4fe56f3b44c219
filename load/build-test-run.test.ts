import { expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { buildTestRunManifest } from './build-test-run.ts';

test('a ConfigMap with the script and a TestRun that runs it with the given parallelism', () => {
  const text = buildTestRunManifest({
    name: 'steady',
    scriptFile: 'steady.k6.ts',
    script: 'export default function () {}\n',
    parallelism: 4,
    target: 'https://api.example.com',
  });
  const [configMap, testRun] = parseAllDocuments(text).map((d) => d.toJSON());
  expect(configMap).toMatchObject({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'opsproof-steady-script' },
    data: { 'steady.k6.ts': 'export default function () {}\n' },
  });
  expect(testRun).toMatchObject({
    apiVersion: 'k6.io/v1alpha1',
    kind: 'TestRun',
    metadata: { name: 'opsproof-steady' },
    spec: {
      parallelism: 4,
      script: { configMap: { name: 'opsproof-steady-script', file: 'steady.k6.ts' } },
      runner: { env: [{ name: 'TARGET', value: 'https://api.example.com' }] },
    },
  });
});
