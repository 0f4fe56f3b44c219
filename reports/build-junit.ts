import { type Check, type CheckKind, orderChecks, type RunResult } from '../core/run-result.ts';
import { formatEvidence } from './format-evidence.ts';
import { formatMeasured, formatThreshold } from './format-value.ts';

/** Text for XML content and attributes; characters XML 1.0 forbids are dropped. */
export function escapeXml(text: string): string {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      // Lone surrogates are not characters either.
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

const xml = escapeXml;
const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

/** Suites in this order (verdict-bearing kinds first); unknown kinds follow in the order seen. */
const KIND_ORDER: readonly (CheckKind | 'run')[] = [
  'run',
  'preflight',
  'health',
  'kpi',
  'baseline',
  'canary',
  'experiment',
  'expectation',
  'alarm-test',
  'drill',
];

/** How long the checked thing took, when the check measured a duration (canaries). */
function testcaseSeconds(check: Check): string {
  return check.kind === 'canary' && check.unit === 'ms' && typeof check.measured === 'number'
    ? seconds(check.measured)
    : '0';
}

/** As read (`≤ 5 %`), with the expression as written when that differs (`rate<=0.05`). */
function thresholdText(check: Check): string {
  const read = formatThreshold(check);
  if (read === null) return '—';
  return read === check.threshold ? read : `${read} (${check.threshold})`;
}

function details(check: Check): string {
  return [
    check.message,
    `measured: ${formatMeasured(check)}`,
    `threshold: ${thresholdText(check)}`,
    `id: ${check.id}`,
    ...(check.stage ? [`stage: ${check.stage}`] : []),
    ...(check.runbook ? [`runbook: ${check.runbook}`] : []),
    ...(check.evidence ? [`evidence: ${formatEvidence(check.evidence)}`] : []),
  ].join('\n');
}

function testcase(check: Check, command: string): string {
  const attrs = `classname="${xml(`opsproof.${command}.${check.kind}`)}" name="${xml(check.name)}" time="${testcaseSeconds(check)}"`;
  const versus = `measured ${formatMeasured(check)} vs threshold ${formatThreshold(check) ?? '—'}`;
  switch (check.status) {
    case 'passed':
      // A passed alarm check still says what it saw.
      return check.evidence
        ? `    <testcase ${attrs}>\n      <system-out>${xml(`evidence: ${formatEvidence(check.evidence)}`)}</system-out>\n    </testcase>`
        : `    <testcase ${attrs}/>`;
    case 'skipped':
      return `    <testcase ${attrs}>\n      <skipped message="${xml(check.message)}"/>\n    </testcase>`;
    case 'failed':
      return `    <testcase ${attrs}>\n      <failure message="${xml(versus)}" type="${xml(check.kind)}">${xml(details(check))}</failure>\n    </testcase>`;
    case 'error':
      return `    <testcase ${attrs}>\n      <error message="${xml(check.message)}" type="${xml(check.kind)}">${xml(details(check))}</error>\n    </testcase>`;
  }
}

/**
 * JUnit XML: one testsuite per check kind (preflight, kpi, canary, experiment, expectation, …), each
 * check a testcase (failures first). A failure's `message` is measured vs threshold, its body the
 * details; errors are `<error>`, skipped checks `<skipped/>`. A run that errored or was interrupted
 * gets one erroring testcase in suite `run` so CI shows why.
 */
export function buildJunit(result: RunResult): string {
  const byKind = new Map<string, Check[]>();
  const add = (kind: string, check: Check) => byKind.set(kind, [...(byKind.get(kind) ?? []), check]);
  if (result.status === 'error' || result.status === 'interrupted') {
    add('run', {
      id: 'run',
      kind: 'preflight',
      name: `run ${result.status}`,
      status: 'error',
      measured: null,
      threshold: null,
      message: result.error ?? result.status,
    });
  }
  for (const check of orderChecks(result.checks)) add(check.kind, check);
  const rank = (kind: string) => {
    const index = KIND_ORDER.indexOf(kind as CheckKind);
    return index === -1 ? KIND_ORDER.length : index;
  };
  const kinds = [...byKind.keys()].sort((a, b) => rank(a) - rank(b));
  const count = (checks: Check[], status: Check['status']) =>
    checks.filter((c) => c.status === status).length;
  const all = [...byKind.values()].flat();
  const suites = kinds.map((kind) => {
    const checks = byKind.get(kind) ?? [];
    return [
      `  <testsuite name="${xml(`${result.command} · ${kind}`)}" tests="${checks.length}" failures="${count(checks, 'failed')}" errors="${count(checks, 'error')}" skipped="${count(checks, 'skipped')}" time="${checks.reduce((sum, c) => sum + Number(testcaseSeconds(c)), 0).toFixed(3)}" timestamp="${xml(result.startedAt)}">`,
      ...checks.map((check) => testcase(check, result.command)),
      '  </testsuite>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xml(`opsproof ${result.command} (${result.env})`)}" tests="${all.length}" failures="${count(all, 'failed')}" errors="${count(all, 'error')}" skipped="${count(all, 'skipped')}" time="${seconds(result.durationMs)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
