import { formatDuration } from '../core/duration.ts';
import type { RunRow } from './history-store.ts';

/** `opsproof history`: one aligned line per run, oldest first (pure). */
export function formatHistoryLines(rows: readonly RunRow[]): string {
  if (rows.length === 0) return 'no runs recorded';
  const cells = rows.map((r) => [
    r.runId,
    r.startedAt.replace('T', ' ').slice(0, 16),
    r.kind,
    r.name,
    r.env,
    r.status,
    formatDuration(r.durationMs),
    `${r.checksPassed}/${r.checksPassed + r.checksFailed} checks passed`,
    r.commit ? r.commit.slice(0, 7) : '-',
  ]);
  const header = ['run', 'started (UTC)', 'kind', 'name', 'env', 'status', 'took', 'checks', 'commit'];
  const table = [header, ...cells];
  const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  return table
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
