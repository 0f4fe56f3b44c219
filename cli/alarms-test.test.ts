import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { RunResult } from '../core/run-result.ts';
import { runAlarmsTest } from './alarms-test.ts';

const template = resolve(import.meta.dirname, '../assertions/alarm-tests/testdata/stack.template.json');

function testFile(body: string): { file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-alarms-cli-'));
  const file = join(dir, 'stack.alarms.yaml');
  writeFileSync(file, `templates: [${JSON.stringify(template)}]\n${body}`);
  return { file, dir };
}

const errorsRising = `
tests:
  - name: errors fire
    series:
      - metric: { Namespace: Demo, MetricName: Errors, Dimensions: { Service: api } }
        values: "10 10 0"
      - metric: { Namespace: Demo, MetricName: Requests, Dimensions: { Service: api } }
        values: "100 20 100"
    expect:
      - { at: 2m, alarm: StackErrors, state: ALARM }
      - { at: 2m, alarm: ErrorRateMath, state: ALARM }
`;

describe('opsproof alarms test', () => {
  const writes: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    writes.length = 0;
  });
  const capture = () => {
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      writes.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  };

  test('--out writes result.json, junit.xml and summary.md; --json prints the RunResult; untested template alarms are listed', async () => {
    const { file, dir } = testFile(errorsRising);
    const out = join(dir, 'run');
    capture();
    const code = await runAlarmsTest([file], { out, json: true });
    expect(code).toBe(0);
    for (const name of ['result.json', 'junit.xml', 'summary.md'])
      expect(existsSync(join(out, name))).toBe(true);
    const printed = JSON.parse(writes.join('')) as RunResult;
    const written = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult;
    expect(printed).toEqual(written);
    expect(written).toMatchObject({ command: 'alarms test', status: 'passed' });
    const coverage = written.checks.find((c) => c.id === 'alarm-test:coverage')!;
    expect(coverage).toMatchObject({ status: 'skipped', measured: '2/5' });
    expect(coverage.message).toContain('not tested: AnyBad; LatencyAnomaly (anomaly detection alarms');
    expect(coverage.message).toContain('UnnamedAlarmDEF');
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toContain('errors fire');
  });

  test('a file given by its absolute path inside the working directory is named relatively in every report', async () => {
    const { file, dir } = testFile(errorsRising);
    const out = join(dir, 'run');
    capture();
    vi.spyOn(process, 'cwd').mockReturnValue(dir);
    expect(await runAlarmsTest([file], { out })).toBe(0);
    for (const name of ['result.json', 'junit.xml', 'summary.md']) {
      const text = readFileSync(join(out, name), 'utf8');
      expect(text, name).toContain('stack.alarms.yaml › errors fire');
      expect(text, name).not.toContain(file);
    }
  });

  test('--require-coverage fails the run on an untested template alarm', async () => {
    const { file, dir } = testFile(errorsRising);
    capture();
    const code = await runAlarmsTest([file], { out: join(dir, 'run'), requireCoverage: true });
    expect(code).toBe(1);
    const written = JSON.parse(readFileSync(join(dir, 'run', 'result.json'), 'utf8')) as RunResult;
    expect(written.status).toBe('failed');
    expect(written.checks.find((c) => c.id === 'alarm-test:coverage')?.status).toBe('failed');
    expect(
      written.checks.filter((c) => c.id !== 'alarm-test:coverage').every((c) => c.status === 'passed'),
    ).toBe(true);
  });

  test("a failed expectation exits 1 and its check shows the expression's datapoints per period", async () => {
    const { file, dir } = testFile(
      errorsRising.replace(
        '{ at: 2m, alarm: ErrorRateMath, state: ALARM }',
        '{ at: 1m, alarm: ErrorRateMath, state: ALARM }',
      ),
    );
    capture();
    const code = await runAlarmsTest([file], { out: join(dir, 'run') });
    expect(code).toBe(1);
    const written = JSON.parse(readFileSync(join(dir, 'run', 'result.json'), 'utf8')) as RunResult;
    const failed = written.checks.find((c) => c.status === 'failed')!;
    expect(failed.measured).toBe('1/2 expectations');
    // IF(m2 > 0, m1 / m2, 0) at minute 0: 10 / 100.
    expect(failed.message).toContain('at 1m: ErrorRateMath expected ALARM, got OK');
    expect(failed.message).toContain('datapoints (period start=value, ! breaching): 0m00s=0.1');
  });
});
