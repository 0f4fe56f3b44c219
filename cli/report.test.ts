import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { UsageError } from '../core/errors.ts';
import { buildMarkdown } from '../reports/build-markdown.ts';
import { sampleResult } from '../test-support/sample-result.ts';
import { parseFormats, runReport } from './report.ts';

test('re-renders the chosen formats from result.json', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-report-'));
  writeFileSync(join(dir, 'result.json'), JSON.stringify(sampleResult()));
  expect(await runReport(dir, { format: 'md,junit' })).toBe(0);
  expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toBe(buildMarkdown(sampleResult()));
  expect(existsSync(join(dir, 'junit.xml'))).toBe(true);
  expect(existsSync(join(dir, 'report.html'))).toBe(false);
});

test.each([
  ['html,md,junit', ['html', 'md', 'junit']],
  [' json , html ', ['json', 'html']],
])('parseFormats(%j)', (text, formats) => {
  expect(parseFormats(text)).toEqual(formats);
});

test.each(['pdf', '', 'html,xml'])('parseFormats(%j) is a usage error', (text) => {
  expect(() => parseFormats(text)).toThrow(UsageError);
});

test('a folder without result.json is a usage error', async () => {
  await expect(
    runReport(mkdtempSync(join(tmpdir(), 'opsproof-report-')), { format: 'html' }),
  ).rejects.toThrow(/no result.json/);
});
