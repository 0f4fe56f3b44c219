import { isAbsolute, relative, sep } from 'node:path';
import { buildDrillDeltas, formatDrillDelta, formatDrillFigure } from '../core/drill-delta.ts';
import { formatDuration } from '../core/duration.ts';
import { type Check, exitCodeForStatus, orderChecks, type RunResult } from '../core/run-result.ts';
import { formatEvidence } from './format-evidence.ts';
import { formatSendLag } from './format-send-lag.ts';
import { formatCanaryName, formatMeasured, formatTargets, formatThreshold } from './format-value.ts';

const VERDICT: Record<RunResult['status'], string> = {
  passed: '✅ passed',
  failed: '❌ failed',
  error: '⚠️ error',
  interrupted: '⏹️ interrupted',
};

const ICON = { passed: '✅', failed: '❌', error: '⚠️', skipped: '⏭️' } as const;

/** GitHub refuses a step summary over 1 MiB; stay clearly under it. */
export const MARKDOWN_LIMIT_BYTES = 1_000_000;
/** Rows per table before the rest is left to result.json. */
export const MARKDOWN_MAX_ROWS = 200;
/** Characters per table cell (long alarm reasons, response snippets). */
const MAX_CELL = 400;

/** Text for a table cell: one line, pipes escaped, HTML and entities inert, bounded. */
function cell(text: string): string {
  const short = text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
  // Only what could start markup or an entity is escaped, so `p(99)<1` stays readable as raw text.
  return short
    .replace(/&(?=#?\w+;)/g, '&amp;')
    .replace(/<(?=[A-Za-z/!?])/g, '&lt;')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, '<br>');
}

/** A code span (thresholds, ids): literal text, pipes escaped for the table, no backticks inside. */
function code(text: string | null | undefined): string {
  if (text === null || text === undefined || text === '') return '—';
  return `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')}\``;
}

/**
 * A link: http(s) URLs as they are; a path relative to the run directory against `linkBase` when
 * there is one (the run directory's URL in the repository, for the CI step summary), else as it is.
 */
function linkTo(url: string, text: string, linkBase?: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) && !/^https?:/i.test(url)) return cell(url);
  const href = linkBase && !/^https?:/i.test(url) && !url.startsWith('/') ? new URL(url, linkBase).href : url;
  return `[${text}](${href.replace(/[\s()<>]/g, encodeURIComponent)})`;
}

export interface MarkdownOptions {
  /** @defaultValue {@link MARKDOWN_LIMIT_BYTES} */
  limitBytes?: number;
  /**
   * The run directory's URL (ending in `/`) that relative links (runbooks) resolve against: set in
   * CI, where summary.md becomes the step summary and a link relative to the run directory would
   * resolve against the CI page ({@link buildRepositoryLinkBase}). Unset: links stay relative.
   */
  linkBase?: string;
}

const ms = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : formatDuration(value);

/**
 * A table capped at {@link MARKDOWN_MAX_ROWS}, with a note saying how many rows were left out.
 * Headings starting with `-:` are right-aligned (numbers).
 */
function table(head: string[], rows: string[]): string[] {
  const shown = rows.slice(0, MARKDOWN_MAX_ROWS);
  const out = [
    `| ${head.map((h) => h.replace(/^-:/, '')).join(' | ')} |`,
    `|${head.map((h) => (h.startsWith('-:') ? '---:' : '---')).join('|')}|`,
    ...shown,
    '',
  ];
  if (rows.length > shown.length) {
    out.push(`_${rows.length - shown.length} more rows left out; result.json has them all._`, '');
  }
  return out;
}

function checkRow(check: Check, linkBase: string | undefined): string {
  const runbook = check.runbook ? ` (${linkTo(check.runbook, 'runbook', linkBase)})` : '';
  return `| ${ICON[check.status]} | ${cell(check.name)} | ${cell(formatMeasured(check))} | ${code(formatThreshold(check))} | ${cell(check.message)}${check.evidence ? ` — ${cell(formatEvidence(check.evidence))}` : ''}${runbook} |`;
}

function loadLines(result: RunResult): string[] {
  const l = result.load;
  if (!l) return [];
  const lat = l.latencyMs;
  const lines = [
    '### Load',
    '',
    `profile \`${l.profile}\`${l.targetName ? ` → target \`${l.targetName}\`` : ''} · engine ${l.engine} (${l.model} model) · ${formatDuration(l.durationMs)}${l.interrupted ? ' · **interrupted**: the figures cover only what ran' : ''}`,
    '',
    ...table(
      ['-:Requests', '-:RPS', '-:Errors', '-:Dropped', '-:p50', '-:p95', '-:p99', '-:max'],
      [
        `| ${l.requests} | ${l.rps.toFixed(1)} | ${l.errors} (${(l.errorRate * 100).toFixed(2)}%) | ${l.dropped} | ${lat.p50.toFixed(1)} ms | ${lat.p95.toFixed(1)} ms | ${lat.p99.toFixed(1)} ms | ${lat.max.toFixed(1)} ms |`,
      ],
    ),
  ];
  const sendLag = formatSendLag(result);
  if (sendLag) lines.push(sendLag, '');
  if (l.scenarios?.length) {
    lines.push(
      ...table(
        ['Scenario', '-:Requests', '-:Errors', '-:p50', '-:p95', '-:p99'],
        l.scenarios.map(
          (s) =>
            `| ${cell(s.name)} | ${s.requests} | ${s.errors} (${(s.errorRate * 100).toFixed(2)}%) | ${s.latencyMs.p50.toFixed(1)} ms | ${s.latencyMs.p95.toFixed(1)} ms | ${s.latencyMs.p99.toFixed(1)} ms |`,
        ),
      ),
    );
  }
  return lines;
}

function expectationLines(result: RunResult, linkBase: string | undefined): string[] {
  const expectations = result.expectations ?? [];
  if (expectations.length === 0) return [];
  return [
    '### Expectations',
    '',
    ...table(
      ['', 'Expectation', '-:Measured', '-:Deadline', 'After', 'Runbook'],
      expectations.map(
        (e) =>
          `| ${ICON[e.status]} | ${cell(e.experiment ? `${e.experiment}: ${e.name}` : e.name)} | ${ms(e.measuredMs)} | ${ms(e.deadlineMs)} | ${code(e.after)} | ${e.runbook ? linkTo(e.runbook, 'runbook', linkBase) : ''} |`,
      ),
    ),
  ];
}

function canaryLines(result: RunResult): string[] {
  const canaries = result.canaries ?? [];
  if (canaries.length === 0) return [];
  return [
    '### Canaries',
    '',
    ...table(
      ['', 'Canary', 'Stage', '-:Duration', 'Steps'],
      canaries.map((c) => {
        const steps = c.steps
          .map(
            (s) =>
              `${ICON[s.status]} ${s.name} ${formatDuration(s.durationMs)}${s.error ? ` — ${s.error}` : ''}`,
          )
          .join(' · ');
        const on = c.targetName ? ` → ${c.targetName}` : '';
        return `| ${ICON[c.status]} | ${cell(formatCanaryName(c))} (${c.type}${on}) | ${c.stage ?? ''} | ${formatDuration(c.durationMs)} | ${cell(steps || (c.error ?? ''))} |`;
      }),
    ),
  ];
}

function experimentLines(result: RunResult): string[] {
  const experiments = result.experiments ?? [];
  if (experiments.length === 0) return [];
  return [
    '### Experiments',
    '',
    ...table(
      ['', 'Experiment', 'Status', 'Deviated', '-:Duration', 'Activities', 'Stopped by'],
      experiments.map((e) => {
        const ok = e.status === 'completed' && !e.deviated;
        const activities = e.activities
          .map(
            (a) =>
              `${a.name} (${a.actionId}) ${a.status} ${formatDuration(a.durationMs)}${a.error ? ` — ${a.error}` : ''}`,
          )
          .join(' · ');
        return `| ${ok ? '✅' : '❌'} | ${cell(e.experiment)}${e.dryRun ? ' (dry run)' : ''} | ${e.status} | ${e.deviated ? 'yes' : 'no'} | ${formatDuration(e.durationMs)} | ${cell(activities)} | ${cell(e.stoppedBy ?? '')} |`;
      }),
    ),
  ];
}

function drillLines(result: RunResult): string[] {
  const drill = result.drill;
  if (!drill) return [];
  const objective = drill.objectiveMs ?? null;
  const recovered =
    objective !== null && drill.timeToRecoverMs !== null
      ? drill.timeToRecoverMs <= objective
        ? ' ✅ within objective'
        : ' ❌ over objective'
      : '';
  return [
    `### Drill: ${cell(drill.name)} (${drill.kind})`,
    '',
    'Times from the start of the incident (fault injected).',
    '',
    ...table(
      ['Milestone', '-:Time'],
      [
        `| Time to detect | ${ms(drill.timeToDetectMs)} |`,
        `| Time to alarm | ${ms(drill.timeToAlarmMs)} |`,
        `| Time to mitigate | ${ms(drill.timeToMitigateMs)} |`,
        `| Time to recover | ${ms(drill.timeToRecoverMs)}${recovered} |`,
        `| Objective (RTO) | ${ms(objective)} |`,
      ],
    ),
    `Impact: ${drill.impact.failedRequests} of ${drill.impact.requests} requests failed over ${formatDuration(drill.impact.durationMs)}.`,
    '',
    ...(drill.previous
      ? [
          `Compared with the previous drill (run \`${cell(drill.previous.runId)}\`):`,
          '',
          ...table(
            ['Measure', '-:This drill', '-:Previous', '-:Change'],
            buildDrillDeltas(drill).map(
              (d) =>
                `| ${d.measure} | ${formatDrillFigure(d.now, d.unit)} | ${formatDrillFigure(d.previous, d.unit)} | ${formatDrillDelta(d)} |`,
            ),
          ),
        ]
      : []),
    ...(drill.actionItems.length
      ? ['Action items:', '', ...drill.actionItems.map((i) => `- [ ] ${cell(i)}`), '']
      : []),
  ];
}

/** Cuts text at a line boundary to fit `limit` bytes (UTF-8), with a note saying so. */
function fitBytes(text: string, limit: number): string {
  if (Buffer.byteLength(text) <= limit) return text;
  const note =
    '\n\n_Summary truncated to fit the 1 MiB step-summary limit; see report.html and result.json._\n';
  let cut = text.slice(0, limit - Buffer.byteLength(note));
  while (Buffer.byteLength(cut) > limit - Buffer.byteLength(note)) cut = cut.slice(0, -1024);
  return `${cut.slice(0, cut.lastIndexOf('\n'))}${note}`;
}

/**
 * A Markdown summary fit for `$GITHUB_STEP_SUMMARY`: the verdict line first, then checks (failed
 * first) with measured vs threshold and runbook links, the drill, load, expectations (measured vs
 * deadline), canaries, experiments and stages. Long tables are cut with a note; the whole stays
 * under GitHub's 1 MiB limit.
 */
export function buildMarkdown(result: RunResult, options: MarkdownOptions = {}): string {
  const { limitBytes = MARKDOWN_LIMIT_BYTES, linkBase } = options;
  const checks = orderChecks(result.checks);
  const count = (s: Check['status']) => checks.filter((c) => c.status === s).length;
  const lines = [
    `## opsproof ${result.command}: ${VERDICT[result.status]} (exit ${exitCodeForStatus(result.status)})`,
    '',
    `**${cell(result.service)}** · env \`${result.env}\` (${result.provider}) · ${result.targets ? `targets ${formatTargets(result.targets, code)}` : `target ${code(result.target)}`} · ${formatDuration(result.durationMs)} · run \`${result.runId}\``,
    '',
  ];
  if (result.error) {
    lines.push(
      `> **${result.status === 'interrupted' ? 'Interrupted' : 'Error'}:** ${cell(result.error)}`,
      '',
    );
  }
  lines.push(
    `${checks.length} check${checks.length === 1 ? '' : 's'}: ${count('passed')} passed, ${count('failed')} failed, ${count('error')} errors, ${count('skipped')} skipped`,
    '',
  );
  if (checks.length > 0) {
    lines.push(
      ...table(
        ['', 'Check', '-:Measured', 'Threshold', 'Message'],
        checks.map((c) => checkRow(c, linkBase)),
      ),
    );
  }
  lines.push(
    ...drillLines(result),
    ...loadLines(result),
    ...expectationLines(result, linkBase),
    ...canaryLines(result),
    ...experimentLines(result),
  );
  if (result.stages.length > 0) {
    lines.push(
      '<details><summary>Stages</summary>',
      '',
      ...table(
        ['Stage', 'Status', '-:Duration', 'Note'],
        result.stages.map(
          (s) =>
            `| ${s.name} | ${ICON[s.status]} ${s.status} | ${formatDuration(s.durationMs)} | ${cell(s.message ?? '')} |`,
        ),
      ),
      '</details>',
      '',
    );
  }
  return fitBytes(lines.join('\n'), limitBytes);
}

/**
 * In GitHub Actions, the URL of the run directory in the repository at the commit being built
 * (`$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/blob/$GITHUB_SHA/<run dir under $GITHUB_WORKSPACE>/`), so the
 * step summary links runbooks to the repository; undefined elsewhere, or when the run directory is
 * outside the workspace. `runDir` is absolute; the path between is what the repository holds.
 */
export function buildRepositoryLinkBase(
  env: Record<string, string | undefined>,
  runDir: string,
): string | undefined {
  const { GITHUB_ACTIONS, GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_WORKSPACE } = env;
  if (
    GITHUB_ACTIONS !== 'true' ||
    !GITHUB_SERVER_URL ||
    !GITHUB_REPOSITORY ||
    !GITHUB_SHA ||
    !GITHUB_WORKSPACE
  ) {
    return undefined;
  }
  const inRepository = relative(GITHUB_WORKSPACE, runDir);
  if (inRepository.startsWith('..') || isAbsolute(inRepository)) return undefined;
  const segments = [...GITHUB_REPOSITORY.split('/'), 'blob', GITHUB_SHA, ...inRepository.split(sep)];
  const path = segments.filter(Boolean).map(encodeURIComponent).join('/');
  return `${GITHUB_SERVER_URL.replace(/\/+$/, '')}/${path}/`;
}
