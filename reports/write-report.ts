import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * The one place report text is turned into a file. `redact` runs over every byte written (secrets
 * redaction plugs in here).
 */
export type Redact = (text: string) => string;

export const noRedaction: Redact = (text) => text;

export function writeReport(
  outDir: string,
  file: string,
  content: string,
  redact: Redact = noRedaction,
): string {
  const path = resolve(outDir, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, redact(content));
  return file;
}

/** Binary artifacts (screenshots): written as they are — redaction applies to text. */
export function writeBinaryReport(outDir: string, file: string, content: Uint8Array): string {
  const path = resolve(outDir, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return file;
}
