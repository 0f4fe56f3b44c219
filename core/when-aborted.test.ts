import { expect, test } from 'vitest';
import { whenAborted } from './when-aborted.ts';

test.each([
  { when: 'aborted before subscribing', abortFirst: true, unsubscribe: false, calls: 1 },
  { when: 'aborted after subscribing', abortFirst: false, unsubscribe: false, calls: 1 },
  { when: 'unsubscribed before the abort', abortFirst: false, unsubscribe: true, calls: 0 },
])('whenAborted: $when → called $calls time(s)', ({ abortFirst, unsubscribe, calls }) => {
  const controller = new AbortController();
  let called = 0;
  if (abortFirst) controller.abort();
  const off = whenAborted(controller.signal, () => called++);
  if (unsubscribe) off();
  controller.abort();
  controller.abort();
  expect(called).toBe(calls);
});

test('whenAborted without a signal never calls', () => {
  let called = 0;
  whenAborted(undefined, () => called++)();
  expect(called).toBe(0);
});
