import { describe, expect, test } from 'vitest';
import type { RunResult } from '../core/run-result.ts';
import { sampleResult } from '../test-support/sample-result.ts';
import { buildHtml } from './build-html.ts';
import { buildMarkdown } from './build-markdown.ts';
import { formatSummary } from './format-summary.ts';

// Issue 18, several targets: every report says which target each canary and the load ran against.
function withTargets(): RunResult {
  const base = sampleResult();
  return {
    ...base,
    target: 'http://127.0.0.1:3000',
    targets: { web: 'http://127.0.0.1:3000', api: 'http://127.0.0.1:4000' },
    canaries: (base.canaries ?? []).map((c) => ({ ...c, targetName: 'web' })),
    ...(base.load ? { load: { ...base.load, target: 'http://127.0.0.1:4000', targetName: 'api' } } : {}),
  };
}

describe('reports name the targets', () => {
  test('summary.md: the targets in the header, the target of each canary and of the load', () => {
    const md = buildMarkdown(withTargets());
    expect(md).toContain('targets web `http://127.0.0.1:3000` · api `http://127.0.0.1:4000`');
    expect(md).toMatch(/\| [^|]+ \((browser|api) → web\) \|/);
    expect(md).toContain('→ target `api`');
  });

  test('report.html: the same', () => {
    const html = buildHtml(withTargets());
    expect(html).toContain('targets web http://127.0.0.1:3000 · api http://127.0.0.1:4000');
    expect(html).toMatch(/(browser|api) → web · /);
    expect(html).toContain('target api http://127.0.0.1:4000');
  });

  test('the terminal summary lists the targets', () => {
    expect(formatSummary(withTargets())).toContain(
      'targets web http://127.0.0.1:3000 · api http://127.0.0.1:4000',
    );
  });

  test('a single-target run reads as before', () => {
    const base = sampleResult();
    expect(buildMarkdown(base)).not.toContain('targets ');
    expect(buildMarkdown(base)).not.toContain(' → web');
  });
});
