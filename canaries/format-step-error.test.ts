import { strictEqual } from 'node:assert';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { findThrowSite, formatStepError } from './format-step-error.ts';

const cwd = '/home/u/service';
const canary = '/home/u/service/canaries/checkout.canary.ts';

function withStack(error: Error, frames: string[]): Error {
  error.stack = [`${error.name}: ${error.message}`, ...frames.map((f) => `    at ${f}`)].join('\n');
  return error;
}

function thrown(fn: () => void): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('did not throw');
}

describe('formatStepError', () => {
  test.each([
    {
      what: "Playwright's timeout keeps the locator and what it last saw",
      error: new Error(
        "locator.click: Timeout 2000ms exceeded.\nCall log:\n  - waiting for getByRole('button', { name: 'Save' })\n  - locator resolved to <button disabled>Save</button>\n  - attempting click action\n  - element is not enabled\n",
      ),
      expected:
        "locator.click: Timeout 2000ms exceeded. — waiting for getByRole('button', { name: 'Save' }); attempting click action; element is not enabled",
    },
    {
      what: 'terminal colours are dropped',
      error: new Error(
        '\u001b[31mpage.goto: net::ERR_CONNECTION_REFUSED\u001b[39m\nCall log:\n  - navigating to "http://x/"',
      ),
      expected: 'page.goto: net::ERR_CONNECTION_REFUSED — navigating to "http://x/"',
    },
    {
      what: 'a TypeError names its class and its line in the canary',
      error: withStack(new TypeError("Cannot read properties of undefined (reading 'id')"), [
        `<anonymous> (${canary}:12:21)`,
        `step (${join(cwd, 'node_modules/opsproof/canaries/run-canaries.ts')}:200:3)`,
      ]),
      expected:
        "TypeError: Cannot read properties of undefined (reading 'id') (at canaries/checkout.canary.ts:12:21)",
    },
    {
      what: "the canary's own frame wins over a helper it called",
      error: withStack(new Error('no cart'), [
        `readCart (/home/u/service/lib/cart.ts:3:9)`,
        `async <anonymous> (file://${canary}:20:5)`,
      ]),
      expected: 'no cart (at canaries/checkout.canary.ts:20:5)',
    },
    {
      what: 'an error opsproof threw (its http client) gets no site: its message says it all',
      error: withStack(new Error('GET http://x/ failed: connection refused (ECONNREFUSED)'), [
        `request (${join(import.meta.dirname, 'canary-http.ts')}:80:11)`,
        `async <anonymous> (${canary}:9:5)`,
      ]),
      expected: 'GET http://x/ failed: connection refused (ECONNREFUSED)',
    },
    {
      what: "node:assert keeps what it expected and received, and the canary's line",
      error: withStack(
        thrown(() => strictEqual(500, 200)),
        [`async <anonymous> (${canary}:9:5)`],
      ),
      expected:
        'AssertionError: Expected values to be strictly equal: — 500 !== 200 (at canaries/checkout.canary.ts:9:5)',
    },
    {
      what: "Playwright's expect keeps its locator, expected and received before the call log",
      error: new Error(
        'expect(locator).toHaveText(expected) failed\n\nLocator:  getByRole(\'heading\')\nExpected: "Welcome"\nReceived: "Hello"\nTimeout:  5000ms\n\nCall log:\n  - Expect "toHaveText" with timeout 5000ms\n  - waiting for getByRole(\'heading\')\n  - locator resolved to <h1>Hello</h1>\n  - unexpected value "Hello"\n',
      ),
      expected:
        'expect(locator).toHaveText(expected) failed — Locator:  getByRole(\'heading\'); Expected: "Welcome"; Received: "Hello"; Timeout:  5000ms — Expect "toHaveText" with timeout 5000ms; locator resolved to <h1>Hello</h1>; unexpected value "Hello"',
    },
    {
      what: 'a long detail is cut after six lines',
      error: new Error(['head', ...Array.from({ length: 9 }, (_, i) => `line ${i + 1}`)].join('\n')),
      expected: 'head — line 1; line 2; line 3; line 4; line 5; line 6; …',
    },
    { what: 'a thrown string', error: 'plain', expected: 'plain' },
    { what: 'an empty message', error: new Error(''), expected: 'failed' },
  ])('$what', ({ error, expected }) => {
    expect(formatStepError(error, canary, cwd)).toBe(expected);
  });
});

describe('findThrowSite', () => {
  test.each([
    { what: 'no stack', stack: undefined, expected: undefined },
    {
      what: 'only node internals',
      stack: 'Error: x\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
      expected: undefined,
    },
    {
      what: 'outside the working directory: absolute',
      stack: 'Error: x\n    at /srv/other/a.canary.ts:1:2',
      expected: '/srv/other/a.canary.ts:1:2',
    },
  ])('$what', ({ stack, expected }) => {
    expect(findThrowSite(stack, canary, cwd)).toBe(expected);
  });
});
