import { dirname, isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { describeError } from '../core/errors.ts';

// opsproof's own sources: an error thrown there (the http client, a timeout) is not the canary's bug.
const OPSPROOF_ROOT = dirname(dirname(fileURLToPath(import.meta.url))) + sep;

/** The lines of Playwright's `Call log:` that say what it waited for and what it found. */
function callLog(message: string): string[] {
  const at = message.indexOf('\nCall log:\n');
  if (at < 0) return [];
  const lines = message
    .slice(at + '\nCall log:\n'.length)
    .split('\n')
    .map((line) => line.replace(/^\s*-\s*/, '').trim())
    .filter((line) => line !== '');
  // The first line names the locator; the last says what it last saw (hidden, not enabled, …).
  const kept = lines.length <= 3 ? lines : [lines[0], ...lines.slice(-2)];
  return [...new Set(kept)].filter((line): line is string => line !== undefined);
}

/**
 * `file:line:col` of the frame where a canary threw: the canary's own file when it is on the stack,
 * else the first frame outside node_modules (a helper the canary imports). None when opsproof itself
 * threw (its http client's `GET … failed`): that message already says what went wrong.
 * Stacks are already mapped to the .ts source: tsx registers source maps for the files it loads.
 */
export function findThrowSite(
  stack: string | undefined,
  canaryFile?: string,
  cwd = process.cwd(),
): string | undefined {
  const frames = parseFrames(stack);
  const top = frames[0];
  const thrownByOpsproof =
    top !== undefined &&
    top.file !== canaryFile &&
    (top.file.startsWith(OPSPROOF_ROOT) || !isAbsolute(top.file));
  if (thrownByOpsproof) return undefined;
  const own = canaryFile ? frames.find((f) => f.file === canaryFile) : undefined;
  const frame = own ?? frames.find((f) => isAbsolute(f.file) && !f.file.includes('/node_modules/'));
  if (!frame) return undefined;
  const shown = relative(cwd, frame.file);
  const path = shown.startsWith('..') || isAbsolute(shown) ? frame.file : shown;
  return `${path}:${frame.line}:${frame.col}`;
}

function parseFrames(stack: string | undefined): { file: string; line: string; col: string }[] {
  if (!stack) return [];
  const frames: { file: string; line: string; col: string }[] = [];
  for (const line of stack.split('\n')) {
    const match = /^\s*at (?:.*? \()?(.+?):(\d+):(\d+)\)?$/.exec(line);
    if (!match?.[1] || !match[2] || !match[3]) continue;
    let file = match[1];
    if (file.startsWith('file://')) file = fileURLToPath(file);
    frames.push({ file, line: match[2], col: match[3] });
  }
  return frames;
}

/**
 * The lines between a message's first line and its call log: what an assertion expected and
 * received (`500 !== 200` of node:assert; `Expected:` / `Received:` of Playwright's expect), the
 * elements of a strict-mode violation. At most a few, so the reason stays one line.
 */
function detailLines(message: string): string[] {
  const end = message.indexOf('\nCall log:\n');
  const lines = (end < 0 ? message : message.slice(0, end))
    .split('\n')
    .slice(1)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return lines.length <= MAX_DETAIL_LINES ? lines : [...lines.slice(0, MAX_DETAIL_LINES), '…'];
}
const MAX_DETAIL_LINES = 6;

/**
 * One line saying why a step failed. Playwright errors keep their first line and the call log's
 * locator and last state (`locator.waitFor: Timeout 2000ms exceeded. — waiting for
 * getByRole('button', { name: 'Save' }) to be visible`); an error the canary's own code threw gets
 * its class and where it was thrown (`TypeError: … (at checkout.canary.ts:12:9)`).
 */
export function formatStepError(error: unknown, canaryFile?: string, cwd?: string): string {
  // Playwright colours some messages for terminals; reports are plain text.
  const text = stripVTControlCharacters(describeError(error));
  const detail = detailLines(text);
  const headline = (text.split('\n')[0] ?? '').trim() || 'failed';
  const first = detail.length > 0 ? `${headline} — ${detail.join('; ')}` : headline;
  const log = callLog(text);
  if (log.length > 0) return `${first} — ${log.join('; ')}`;
  if (!(error instanceof Error)) return first;
  const named =
    error.name && error.name !== 'Error' && !first.startsWith(error.name) ? `${error.name}: ${first}` : first;
  const site = findThrowSite(error.stack, canaryFile, cwd);
  return site ? `${named} (at ${site})` : named;
}
