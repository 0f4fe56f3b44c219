import { expect, test } from 'vitest';
import { createManualClock } from './clock.ts';
import { Timeline } from './timeline.ts';

test('records carry monotonic and wall-clock time, in order', async () => {
  const clock = createManualClock(new Date('2026-05-01T10:00:00Z'));
  const timeline = new Timeline(clock);
  timeline.emit({ type: 'stage.start', stage: 'load' });
  await clock.advance(1500);
  timeline.emit({ type: 'stage.end', stage: 'load', status: 'passed', durationMs: 1500 });
  const [start, end] = timeline.records();
  expect(start).toMatchObject({ type: 'stage.start', t: 0, at: '2026-05-01T10:00:00.000Z' });
  expect(end).toMatchObject({ type: 'stage.end', t: 1500, at: '2026-05-01T10:00:01.500Z' });
});

test('a throwing listener does not stop the emitter or other listeners', () => {
  const timeline = new Timeline(createManualClock());
  const seen: string[] = [];
  timeline.on(() => {
    throw new Error('broken reporter');
  });
  timeline.on((r) => seen.push(r.type));
  timeline.emit({ type: 'progress', message: 'hello' });
  expect(seen).toEqual(['progress']);
  expect(timeline.listenerErrors).toHaveLength(1);
});

test('waitFor resolves on a later matching event and find respects fromT', async () => {
  const clock = createManualClock();
  const timeline = new Timeline(clock);
  timeline.emit({ type: 'fault.start', faultId: 'a', spec: 'error', where: 'x' });
  await clock.advance(10);
  const waiting = timeline.waitFor('fault.end', (r) => r.faultId === 'a');
  timeline.emit({ type: 'fault.end', faultId: 'b', reason: 'ttl' });
  timeline.emit({ type: 'fault.end', faultId: 'a', reason: 'cleared' });
  await expect(waiting).resolves.toMatchObject({ faultId: 'a', reason: 'cleared' });
  expect(timeline.find('fault.start', () => true, 5)).toBeUndefined();
});

test('waitFor rejects when aborted', async () => {
  const timeline = new Timeline(createManualClock());
  const controller = new AbortController();
  const waiting = timeline.waitFor('run.end', () => true, { signal: controller.signal });
  controller.abort(new Error('stop'));
  await expect(waiting).rejects.toThrow('stop');
});
