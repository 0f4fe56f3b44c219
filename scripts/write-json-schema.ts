// Writes schema/opsproof.schema.json from the zod schema: `npx tsx scripts/write-json-schema.ts`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatJsonSchema, JSON_SCHEMA_PATH } from '../core/json-schema.ts';
import { repoPath } from '../core/tools.ts';

const file = repoPath(JSON_SCHEMA_PATH);
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, formatJsonSchema());
process.stderr.write(`wrote ${file}\n`);
