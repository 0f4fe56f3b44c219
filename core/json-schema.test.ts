import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { buildJsonSchema, formatJsonSchema, JSON_SCHEMA_PATH } from './json-schema.ts';
import { repoPath } from './tools.ts';

test('the committed JSON Schema is up to date (regenerate: npm run schema)', () => {
  expect(readFileSync(repoPath(JSON_SCHEMA_PATH), 'utf8')).toBe(formatJsonSchema());
});

test('describes the config as users write it', () => {
  const schema = buildJsonSchema() as {
    required?: string[];
    properties: Record<string, { description?: string }>;
  };
  expect(schema.required).toEqual(['service', 'environments']);
  expect(Object.keys(schema.properties)).toEqual(
    expect.arrayContaining(['service', 'environments', 'kpis', 'canaries', 'load', 'experiments', 'alarms']),
  );
  const text = JSON.stringify(schema);
  expect(text).toContain('"enum":["embedded","aws"]');
  expect(text).toContain('Maximum p99 latency (ms).');
});
