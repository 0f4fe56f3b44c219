import { expect, test } from 'vitest';
import type { Artifact, RunResult } from '../core/run-result.ts';
import { sampleResult } from '../test-support/sample-result.ts';
import { addReporterOutput, type Reporter, ReporterMultiplexer, ReporterWarning } from './reporter.ts';

const png: Artifact = { name: 'report screenshot', path: 'report.png', kind: 'screenshot' };
const har: Artifact = { name: 'har', path: 'run.har', kind: 'har' };

test.each([
  ['nothing', undefined, []],
  ['files but no artifacts', { written: ['junit.xml'] }, []],
  ['a new artifact', { artifacts: [har] }, [har]],
  ['one already listed (same path, other name)', { artifacts: [{ ...png, name: 'other' }] }, []],
  ['the same one twice', { artifacts: [har, har] }, [har]],
])('addReporterOutput: %s', (_name, output, added) => {
  const base = { ...sampleResult(), artifacts: [png] };
  const result = addReporterOutput(base, output);
  expect(result.artifacts).toEqual([png, ...added]);
  // Nothing added: the same value, not a copy.
  if (added.length === 0) expect(result).toBe(base);
});

test('each reporter sees what the reporters before it added; the multiplexer returns all of it', async () => {
  const seen: Record<string, string[]> = {};
  const recording = (name: string, output?: Reporter['onEnd']): Reporter => ({
    name,
    onEnd: (result: RunResult) => {
      seen[name] = result.artifacts.map((a) => a.path);
      return output?.(result);
    },
  });
  const result = sampleResult();
  const multiplexer = new ReporterMultiplexer([
    recording('first'),
    recording('screenshot', () => ({ written: ['report.png'], artifacts: [png] })),
    recording('broken', () => {
      throw new Error('boom');
    }),
    recording('warns', () => {
      throw new ReporterWarning('drawn with problems', { written: ['run.har'], artifacts: [har] });
    }),
    recording('json', () => ({ written: ['result.json'] })),
  ]);
  const output = await multiplexer.onEnd(result);
  const before = result.artifacts.map((a) => a.path);
  expect(seen).toEqual({
    first: before,
    screenshot: before,
    broken: [...before, 'report.png'],
    warns: [...before, 'report.png'],
    json: [...before, 'report.png', 'run.har'],
  });
  expect(output).toEqual({ written: ['report.png', 'run.har', 'result.json'], artifacts: [png, har] });
  expect(multiplexer.failures.map((f) => `${f.reporter}:${f.hook}:${String(f.error)}`)).toEqual([
    'broken:onEnd:Error: boom',
    'warns:onEnd:ReporterWarning: drawn with problems',
  ]);
  // The run's own value is never edited in place.
  expect(result.artifacts.map((a) => a.path)).toEqual(before);
});
