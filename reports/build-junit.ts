import { type Check, orderChecks, type RunResult } from '../core/run-result.ts';
import { formatMeasured } from './format-value.ts';

function xml(text: string): string {
  return (
    text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // Characters XML 1.0 forbids.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
  );
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function testcase(check: Check, suite: string): string {
  const attrs = `classname="${xml(`opsproof.${suite}.${check.kind}`)}" name="${xml(check.name)}"`;
  const detail = `measured ${formatMeasured(check)} vs threshold ${check.threshold ?? '—'}`;
  switch (check.status) {
    case 'passed':
      return `    <testcase ${attrs} time="0"/>`;
    case 'skipped':
      return `    <testcase ${attrs} time="0">\n      <skipped message="${xml(check.message)}"/>\n    </testcase>`;
    case 'failed':
      return `    <testcase ${attrs} time="0">\n      <failure message="${xml(detail)}" type="${xml(check.kind)}">${xml(`${check.message}\n${detail}`)}</failure>\n    </testcase>`;
    case 'error':
      return `    <testcase ${attrs} time="0">\n      <error message="${xml(check.message)}" type="${xml(check.kind)}">${xml(`${check.message}\n${detail}`)}</error>\n    </testcase>`;
  }
}

/**
 * JUnit XML: one testsuite per stage, each check a testcase; failures carry measured vs threshold.
 * A run that errored before producing checks gets one erroring testcase so CI shows why.
 */
export function buildJunit(result: RunResult): string {
  const byStage = new Map<string, Check[]>();
  for (const check of orderChecks(result.checks)) {
    const stage = check.stage ?? 'run';
    byStage.set(stage, [...(byStage.get(stage) ?? []), check]);
  }
  if (result.status === 'error' || result.status === 'interrupted') {
    const runCheck: Check = {
      id: 'run',
      kind: 'preflight',
      name: `run ${result.status}`,
      status: 'error',
      measured: null,
      threshold: null,
      message: result.error ?? result.status,
    };
    byStage.set('run', [...(byStage.get('run') ?? []), runCheck]);
  }
  const durations = new Map(result.stages.map((s) => [s.name as string, s.durationMs]));
  const count = (checks: Check[], status: Check['status']) =>
    checks.filter((c) => c.status === status).length;
  const all = [...byStage.values()].flat();
  const suites = [...byStage.entries()].map(([stage, checks]) =>
    [
      `  <testsuite name="${xml(`${result.command} · ${stage}`)}" tests="${checks.length}" failures="${count(checks, 'failed')}" errors="${count(checks, 'error')}" skipped="${count(checks, 'skipped')}" time="${seconds(durations.get(stage) ?? 0)}" timestamp="${xml(result.startedAt)}">`,
      ...checks.map((check) => testcase(check, stage)),
      '  </testsuite>',
    ].join('\n'),
  );
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xml(`opsproof ${result.command} (${result.env})`)}" tests="${all.length}" failures="${count(all, 'failed')}" errors="${count(all, 'error')}" skipped="${count(all, 'skipped')}" time="${seconds(result.durationMs)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
