import { expect, test } from 'vitest';
import { CANARY_NAME_RULE, checkCanaryOptions, defineCanary } from './define-canary.ts';

const noop = async () => {};

// AWS's rule for Synthetics canary names (lowercase letters, digits, - and _, 1–255), checked where the
// canary is defined: a name that runs locally also deploys.
test.each([
  ['health', true],
  ['api_roundtrip-2', true],
  ['a'.repeat(255), true],
  ['a'.repeat(256), false],
  ['', false],
  ['Health', false],
  ['web form', false],
  ['web.form', false],
  ['héalth', false],
])('name %j deploys: %s', (name, ok) => {
  const define = () => defineCanary({ name, type: 'api' }, noop);
  if (ok) expect(define().options.name).toBe(name);
  else expect(define).toThrow(`canary name "${name}" is not valid: ${CANARY_NAME_RULE.text}`);
});

test.each([
  [{ retries: 3 }, /retries must be 0, 1 or 2/],
  [{ retries: 1.5 }, /retries must be 0, 1 or 2/],
  [{ memoryMb: 512 }, /memoryMb must be a multiple of 64 from 960 to 3008/],
  [{ memoryMb: 1000 }, /memoryMb must be a multiple of 64 from 960 to 3008/],
  [{ memoryMb: 4096 }, /memoryMb must be a multiple of 64 from 960 to 3008/],
  [{ runtimeVersion: 'syn-nodejs-puppeteer-9.1' }, /runtimeVersion must be a Synthetics Playwright runtime/],
])('settings Synthetics refuses are refused at definition: %j', (settings, message) => {
  expect(checkCanaryOptions({ name: 'home', ...settings })).toMatch(message);
  expect(() => defineCanary({ name: 'home', type: 'api', ...settings }, noop)).toThrow(message);
});

test('settings Synthetics accepts pass', () => {
  expect(
    checkCanaryOptions({
      name: 'home',
      retries: 2,
      memoryMb: 2048,
      runtimeVersion: 'syn-nodejs-playwright-5.1',
    }),
  ).toBeUndefined();
  expect(checkCanaryOptions({ name: 'home', retries: 0, memoryMb: 960 })).toBeUndefined();
});
