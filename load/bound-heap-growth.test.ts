import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { boundHeapGrowth, HEAP_GROWING_PERCENT } from './bound-heap-growth.ts';

describe('boundHeapGrowth', () => {
  test.each([
    {
      why: 'one run: bounded while it runs, V8’s default after',
      steps: ['hold a', 'release a'],
      expected: [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`, '--heap-growing-percent=0'],
    },
    {
      why: 'overlapping runs: restored only when the last one ends',
      steps: ['hold a', 'hold b', 'release a', 'release b'],
      expected: [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`, '--heap-growing-percent=0'],
    },
    {
      why: 'a second release of the same hold does nothing',
      steps: ['hold a', 'hold b', 'release a', 'release a', 'release b'],
      expected: [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`, '--heap-growing-percent=0'],
    },
    {
      why: 'runs one after another: each sets and restores',
      steps: ['hold a', 'release a', 'hold b', 'release b'],
      expected: [
        `--heap-growing-percent=${HEAP_GROWING_PERCENT}`,
        '--heap-growing-percent=0',
        `--heap-growing-percent=${HEAP_GROWING_PERCENT}`,
        '--heap-growing-percent=0',
      ],
    },
  ])('$why', ({ steps, expected }) => {
    const calls: string[] = [];
    const releases = new Map<string, () => void>();
    for (const step of steps) {
      const [verb, name] = step.split(' ') as [string, string];
      if (verb === 'hold')
        releases.set(
          name,
          boundHeapGrowth((f) => calls.push(f), []),
        );
      else releases.get(name)!();
    }
    expect(calls).toEqual(expected);
  });

  test.each([
    ['--heap-growing-percent=100'],
    ['--heap_growing_percent=100'],
    ['--heap-growing-percent', '100'],
  ])('a process started with %s keeps its own setting', (...execArgv) => {
    const calls: string[] = [];
    boundHeapGrowth((f) => calls.push(f), execArgv)();
    expect(calls).toEqual([]);
  });

  test('a setter that throws leaves the run going', () => {
    const release = boundHeapGrowth(() => {
      throw new Error('flags are frozen');
    }, []);
    expect(() => release()).not.toThrow();
  });

  test('V8 accepts the flag at run time and it bounds the old generation', () => {
    // The same allocation pattern in two fresh processes, V8's default and bounded: the old space the
    // bounded one reaches is smaller. A child of its own, so this process's heap is not involved.
    const script = `
      const v8 = require('node:v8');
      if (process.argv[1] === 'bounded') v8.setFlagsFromString('--heap-growing-percent=${HEAP_GROWING_PERCENT}');
      const live = []; for (let i = 0; i < 200000; i++) live.push({ i, s: 'x'.repeat(20) + i });
      let keep = []; let maxOld = 0;
      for (let round = 0; round < 4000; round++) {
        for (let i = 0; i < 1000; i++) keep.push({ a: i, b: [i, i] });
        if (keep.length > 50000) keep = [];
        const old = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_size;
        maxOld = Math.max(maxOld, old);
      }
      console.log(maxOld);`;
    const maxOld = (mode: string) =>
      Number(execFileSync(process.execPath, ['-e', script, mode], { encoding: 'utf8' }));
    expect(maxOld('bounded')).toBeLessThan(maxOld('default'));
  }, 60_000);
});
