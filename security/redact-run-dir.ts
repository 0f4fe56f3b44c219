import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import type { Redactor } from '../core/redact.ts';

/** Text files a run directory may hold; anything else (screenshots, zips) is left as it is. */
const TEXT_EXTENSIONS = new Set([
  '.json',
  '.ndjson',
  '.jsonl',
  '.har',
  '.xml',
  '.md',
  '.html',
  '.htm',
  '.txt',
  '.log',
  '.csv',
  '.yaml',
  '.yml',
  '.ts',
  '.js',
  '.mjs',
]);

/** Files larger than this are not rewritten (a run directory holds reports, not bulk data). */
const MAX_BYTES = 64 * 1024 * 1024;

/**
 * The last line of defence: rewrites every text file under the run directory through the redactor,
 * whoever wrote it (reporters, canary snippets, k6 summaries, HAR files). Returns the paths (relative
 * to `dir`) it had to change. Symbolic links are not followed.
 */
export function redactRunDir(dir: string, redactor: Redactor): string[] {
  const changed: string[] = [];
  const visit = (current: string, depth: number) => {
    if (depth > 8) return;
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) visit(path, depth + 1);
      else if (entry.isFile() && TEXT_EXTENSIONS.has(extname(entry.name).toLowerCase())) {
        if (statSync(path).size > MAX_BYTES) continue;
        const text = readFileSync(path, 'utf8');
        const redacted = redactor.text(text);
        if (redacted !== text) {
          writeFileSync(path, redacted);
          changed.push(relative(dir, path));
        }
      }
    }
  };
  visit(dir, 0);
  return changed;
}
