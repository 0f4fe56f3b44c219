import { expect, test } from 'vitest';
import { isLoopbackHost } from './loopback.ts';

test.each([
  ['localhost', true],
  ['LOCALHOST', true],
  ['127.0.0.1', true],
  ['127.10.20.30', true],
  ['::1', true],
  ['[::1]', true],
  ['::ffff:127.0.0.1', true],
  ['128.0.0.1', false],
  ['10.0.0.1', false],
  ['192.168.1.10', false],
  ['127.0.0.1.example.com', false],
  ['example.com', false],
])('isLoopbackHost(%s) = %s', (host, loopback) => {
  expect(isLoopbackHost(host)).toBe(loopback);
});
