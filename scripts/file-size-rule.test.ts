import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';

// The size rule (issue 21): a product file over ~400 lines says in its header why it is one piece,
// so the next person splits it or knows why not.
const MAX_LINES = 400;
const repo = join(import.meta.dirname, '..');
/** Not product code: tests and their fixtures, the demo service, generated k6 examples, outputs (and hidden folders). */
const SKIPPED_DIRS = new Set(['node_modules', 'cdk.out', 'tmp', 'test-support', 'demo', 'reliability']);
const SKIPPED_PATHS = [/^load\/k6\//, /(^|\/)fixtures\//, /^reports\/[^/]+\//];
const SOURCE = /\.(ts|mts|js|mjs|cjs)$/;

/**
 * Whether a file opens with a header comment: a comment before anything else (a shebang aside)
 * that is not the doc comment of the first declaration, i.e. followed by a blank line, an import
 * or another comment.
 */
function hasHeaderComment(text: string): boolean {
  const lines = text.replace(/^#!.*\n/, '').split('\n');
  let i = 0;
  while (i < lines.length && lines[i]!.trim() === '') i++;
  const first = lines[i]?.trim() ?? '';
  if (first.startsWith('//')) {
    while (i < lines.length && lines[i]!.trim().startsWith('//')) i++;
  } else if (first.startsWith('/*')) {
    while (i < lines.length && !lines[i]!.includes('*/')) i++;
    i++;
  } else {
    return false;
  }
  const next = lines[i]?.trim() ?? '';
  return next === '' || next.startsWith('import ') || next.startsWith('//') || next.startsWith('/*');
}

function productFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const rel = relative(repo, path);
    if (entry.isDirectory()) {
      if (
        !entry.name.startsWith('.') &&
        !SKIPPED_DIRS.has(entry.name) &&
        !SKIPPED_PATHS.some((p) => p.test(`${rel}/`))
      ) {
        files.push(...productFiles(path));
      }
    } else if (SOURCE.test(entry.name) && !/\.(test|d)\.[a-z]+$/.test(entry.name)) {
      if (!SKIPPED_PATHS.some((p) => p.test(rel))) files.push(rel);
    }
  }
  return files;
}

function lineCount(text: string): number {
  return text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
}

describe('hasHeaderComment', () => {
  test.each([
    ['// Why one file: …\nimport x from "x";\n', true],
    ['/**\n * Why one file: …\n */\n\nimport x from "x";\n', true],
    ['#!/usr/bin/env node\n// Why: …\nimport x from "x";\n', true],
    ['/** Header. */\n// and more\nexport const a = 1;\n', true],
    ['import x from "x";\n// a comment after the imports\n', false],
    ['/** The doc comment of the first export. */\nexport function f() {}\n', false],
    ['// The comment of the first declaration.\nconst a = 1;\n', false],
    ['export const a = 1;\n', false],
  ])('%j → %s', (text, expected) => {
    expect(hasHeaderComment(text)).toBe(expected);
  });
});

test(`every product file over ${MAX_LINES} lines says in its header why it is one piece`, () => {
  const long = productFiles(repo)
    .map((file) => ({ file, text: readFileSync(join(repo, file), 'utf8') }))
    .filter(({ text }) => lineCount(text) > MAX_LINES);
  // The scan reaches the tree: some files are long, and the folders the rule is about are read.
  expect(long.length).toBeGreaterThan(5);
  const missing = long
    .filter(({ text }) => !hasHeaderComment(text))
    .map(({ file, text }) => `${file} (${lineCount(text)} lines)`);
  expect(missing, 'split the file, or open it with a header comment saying why it is one piece').toEqual([]);
});
