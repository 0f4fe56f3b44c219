import { Writable } from 'node:stream';
import { expect, test } from 'vitest';
import { Timeline } from '../core/timeline.ts';
import { createProgressReporter } from './progress-reporter.ts';
import { ReporterMultiplexer } from './reporter.ts';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    }),
    { isTTY },
  );
  return { stream, text: () => chunks.join('') };
}

test('plain timestamped lines when not a TTY', () => {
  const out = sink(false);
  const reporter = createProgressReporter({ stream: out.stream, env: {} });
  const timeline = new Timeline();
  timeline.on((r) => reporter.onEvent?.(r));
  timeline.emit({ type: 'stage.start', stage: 'preflight' });
  timeline.emit({ type: 'check', id: 'h', name: 'ready', status: 'failed', message: 'answered 503' });
  timeline.emit({
    type: 'load.tick',
    profile: 'p',
    second: 3,
    rps: 1,
    errors: 0,
    p50: 1,
    p99: 1,
    inFlight: 0,
    dropped: 0,
  });
  const lines = out.text().trimEnd().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\] stage preflight started$/);
  expect(lines[1]).toMatch(/✗ ready: answered 503$/);
});

test('CI=true forces plain lines even on a TTY', () => {
  const out = sink(true);
  const reporter = createProgressReporter({ stream: out.stream, env: { CI: 'true' } });
  const timeline = new Timeline();
  timeline.on((r) => reporter.onEvent?.(r));
  timeline.emit({ type: 'stage.start', stage: 'load' });
  expect(out.text()).toMatch(/^\[\d\d:\d\d:\d\d\] stage load started\n$/);
});

test('the multiplexer isolates a failing reporter', async () => {
  const seen: string[] = [];
  const multiplexer = new ReporterMultiplexer([
    {
      name: 'broken',
      onEvent() {
        throw new Error('boom');
      },
      onEnd() {
        throw new Error('boom');
      },
    },
    { name: 'ok', onEvent: (r) => seen.push(r.type), onEnd: () => ({ written: ['x.json'] }) },
  ]);
  const timeline = new Timeline();
  timeline.on((r) => multiplexer.onEvent(r));
  timeline.emit({ type: 'stage.start', stage: 'load' });
  const { sampleResult } = await import('../test-support/sample-result.ts');
  expect(await multiplexer.onEnd(sampleResult())).toEqual({ written: ['x.json'], artifacts: [] });
  expect(seen).toEqual(['stage.start']);
  expect(multiplexer.failures.map((f) => `${f.reporter}:${f.hook}`)).toEqual([
    'broken:onEvent',
    'broken:onEnd',
  ]);
});
