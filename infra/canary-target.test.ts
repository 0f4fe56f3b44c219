import { expect, test } from 'vitest';
import { namedTargetUrls } from './opsproof-stack.ts';
import { canaryTarget } from './synthetics-canaries.ts';

// A deployed canary runs against the target it names (`defineCanary({ target })`), as it does
// locally; one that names none runs against the environment's default.
const props = {
  target: 'https://api.example.com',
  targets: { api: 'https://api.example.com', web: 'https://www.example.com' },
};

test.each([
  [{ name: 'checkout' }, 'https://api.example.com'],
  [{ name: 'home', target: 'web' }, 'https://www.example.com'],
  [{ name: 'orders', target: 'api' }, 'https://api.example.com'],
])('canary %o runs against %s', (canary, url) => {
  expect(canaryTarget(props, canary)).toBe(url);
});

test('a canary naming a target without a URL in the environment is refused by name', () => {
  expect(() => canaryTarget(props, { name: 'db-check', target: 'db' })).toThrow(
    'canary db-check names target "db", which has no URL in this environment (api, web)',
  );
});

test.each([
  [undefined, {}],
  [{ api: 'https://api.example.com' }, { api: 'https://api.example.com' }],
  [
    {
      web: { url: 'https://www.example.com', readyPath: '/' },
      db: { readyTcp: 5432, start: { command: ['postgres'] } },
    },
    { web: 'https://www.example.com' },
  ],
] as const)('namedTargetUrls(%o) = %o', (targets, urls) => {
  expect(namedTargetUrls(targets as Parameters<typeof namedTargetUrls>[0])).toEqual(urls);
});
