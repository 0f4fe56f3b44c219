import { z } from 'zod';
import { suiteSchema } from './schema.ts';

/** Where editors find the schema (`"$schema"` in a JSON/YAML config, or the README). */
export const JSON_SCHEMA_PATH = 'schema/opsproof.schema.json';

/**
 * The JSON Schema of the suite config, derived from the one zod schema (input side: defaults are
 * optional, as users write them). Never edit the generated file by hand: `npm run schema`.
 */
export function buildJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(suiteSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return {
    ...schema,
    $id: 'https://opsproof.dev/schema/opsproof.schema.json',
    title: 'opsproof suite config',
    description: 'The config of an opsproof suite (opsproof.config.ts → defineSuite({...})).',
  };
}

/** The file's exact text: stable key order, two-space indent, trailing newline. */
export function formatJsonSchema(): string {
  return `${JSON.stringify(buildJsonSchema(), null, 2)}\n`;
}
