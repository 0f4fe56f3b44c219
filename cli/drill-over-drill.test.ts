import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test, vi } from 'vitest';
import { buildDrillDeltas, formatDrillDelta, formatDrillFigure } from '../core/drill-delta.ts';
import type { RunResult } from '../core/run-result.ts';
import { captureStdout } from '../test-support/capture-stdout.ts';
import { runDrill } from './drill.ts';

// Two alert drills of the demo suite in a row (each ≈ 20 s: the real demo service, load and fault),
// recorded into one history: the second compares itself with the first.
const dir = mkdtempSync(join(tmpdir(), 'opsproof-drill-over-drill-'));
const history = join(dir, 'history.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function alertDrill(out: string): Promise<RunResult> {
  vi.stubEnv('OPSPROOF_SCREENSHOT', '0');
  vi.stubEnv('CI', 'true');
  try {
    const { value: code, stdout } = await captureStdout(() =>
      runDrill('alert', { env: 'local', out, history, json: true }),
    );
    expect(code).toBe(0);
    return JSON.parse(stdout) as RunResult;
  } finally {
    vi.unstubAllEnvs();
  }
}

test('the second of two alert drills shows its time to alarm and recover as deltas to the first, and carries its open action items', async () => {
  const first = await alertDrill(join(dir, 'first'));
  expect(first.drill?.previous).toBeUndefined();
  // The review of the first drill: one placeholder closed, one real item added and left open.
  const firstMd = join(dir, 'first', 'drill.md');
  writeFileSync(
    firstMd,
    readFileSync(firstMd, 'utf8')
      .replace('- [ ] Immediate fix', '- [x] Immediate fix')
      .replace('- [ ] Process improvement', '- [ ] Process improvement\n- [ ] Page the on-call sooner'),
  );

  const second = await alertDrill(join(dir, 'second'));
  const d1 = first.drill!;
  const d2 = second.drill!;
  expect(d2.previous).toMatchObject({
    runId: first.runId,
    timeToAlarmMs: d1.timeToAlarmMs,
    timeToRecoverMs: d1.timeToRecoverMs,
    actionItems: ['Page the on-call sooner'],
  });
  expect(d2.actionItems[0]).toBe('Page the on-call sooner');

  const md = readFileSync(join(dir, 'second', 'drill.md'), 'utf8');
  expect(md).toContain(`### Compared with the previous drill (run \`${first.runId}\``);
  // Each measure: this drill, the previous one, and the change between them.
  for (const row of buildDrillDeltas(d2)) {
    const line = md.split('\n').find((l) => l.startsWith(`| ${row.measure} |`));
    expect(line).toBe(
      `| ${row.measure} | ${formatDrillFigure(row.now, row.unit)} | ${formatDrillFigure(row.previous, row.unit)} | ${formatDrillDelta(row)} |`,
    );
  }
  // Both drills measured each time, so every time row has a delta (a row of — would prove nothing).
  for (const d of [d1, d2]) {
    expect([d.timeToDetectMs, d.timeToAlarmMs, d.timeToRecoverMs]).not.toContain(null);
  }
  expect(buildDrillDeltas(d2).find((r) => r.measure === 'time to detect')?.delta).toBe(
    d2.timeToDetectMs! - d1.timeToDetectMs!,
  );
  const alarm = buildDrillDeltas(d2).find((r) => r.measure === 'time to alarm');
  expect(alarm).toMatchObject({ now: d2.timeToAlarmMs, previous: d1.timeToAlarmMs });
  expect(alarm?.delta).toBe(d2.timeToAlarmMs! - d1.timeToAlarmMs!);
  expect(buildDrillDeltas(d2).find((r) => r.measure === 'time to recover')?.delta).toBe(
    d2.timeToRecoverMs! - d1.timeToRecoverMs!,
  );
  // The run's own reports show the comparison too.
  expect(readFileSync(join(dir, 'second', 'report.html'), 'utf8')).toContain(
    'Compared with the previous drill',
  );
  expect(readFileSync(join(dir, 'second', 'summary.md'), 'utf8')).toContain(
    `Compared with the previous drill (run \`${first.runId}\`)`,
  );
}, 120_000);
