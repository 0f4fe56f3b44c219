import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../core/errors.ts';
import type { ScaffoldFile } from './build-scaffold.ts';

/**
 * Writes the scaffold into `dir`. A file that exists is never overwritten without `force`: the
 * command refuses, naming every such file, before writing any. Appending to a README is not
 * overwriting.
 */
export function writeScaffold(dir: string, files: readonly ScaffoldFile[], force: boolean): string[] {
  const clashes = files
    .filter((f) => f.mode === 'create' && existsSync(resolve(dir, f.path)))
    .map((f) => f.path);
  if (clashes.length > 0 && !force) {
    throw new UsageError(`${dir} already has ${clashes.join(', ')}; nothing was written`, {
      hint: 'pass --force to overwrite them, or --dir to write elsewhere',
    });
  }
  for (const file of files) {
    const path = resolve(dir, file.path);
    mkdirSync(dirname(path), { recursive: true });
    if (file.mode === 'append' && existsSync(path)) appendFileSync(path, file.content);
    else writeFileSync(path, file.content);
  }
  return files.map((f) => f.path);
}
