import { describe, expect, test } from 'vitest';
import { ConnectionLimit, type LimitWindow } from './connection-limit.ts';

/** A window of 1 s (so `completed` is the rate per second) ending at `now`. */
function w(now: number, completed: number, constrained: boolean, open = 0): LimitWindow {
  return { now, durationMs: 1000, completed, constrained, open };
}

describe('ConnectionLimit', () => {
  test.each([
    {
      name: 'a target that serves in parallel: after two constrained windows, each step raises throughput',
      windows: [w(1000, 640, true), w(2000, 640, true), w(3000, 960, true), w(4000, 1440, true)],
      limits: [64, 96, 144, 216],
    },
    {
      name: 'one constrained window (a pause and its catch-up) does not step',
      windows: [
        w(1000, 20_000, true),
        w(2000, 30_000, false, 40),
        w(3000, 25_000, true),
        w(4000, 28_000, false, 40),
      ],
      limits: [64, 64, 64, 64],
    },
    {
      name: 'a saturated target: the step does not raise throughput, so it is undone',
      windows: [w(1000, 30_000, true), w(2000, 30_000, true), w(3000, 30_500, true)],
      limits: [64, 96, 64],
    },
    {
      name: 'a fast window from before a latency fault does not set the bar',
      windows: [w(1000, 900, true), w(2000, 320, true), w(3000, 480, true), w(4000, 720, true)],
      limits: [64, 96, 144, 216],
    },
    {
      name: 'after a failed step it holds 1 s, then tries again; the pause doubles while steps fail',
      windows: [
        w(1000, 100, true),
        w(2000, 100, true), // steps up
        w(3000, 100, true), // fails: back to 64, hold until 4000
        w(3500, 100, true), // held
        w(4000, 100, true), // tries again
        w(4200, 100, true), // fails: hold 2 s, until 6200
        w(6000, 100, true), // held
        w(6200, 100, true), // tries again
      ],
      limits: [64, 96, 64, 64, 96, 64, 64, 96],
    },
    {
      name: 'no backlog at the limit: nothing to try',
      windows: [w(1000, 100, false, 10), w(2000, 100, false, 64)],
      limits: [64, 64],
    },
    {
      name: 'without a backlog the limit drifts down to what is open, never below the initial one',
      windows: [
        w(1000, 100, true),
        w(2000, 100, true), // 96
        w(3000, 200, true), // 144
        w(4000, 400, false, 150), // more throughput and nothing waits: kept
        w(5000, 300, false, 100), // drifts to what is open
        w(6000, 300, false, 10), // floor
      ],
      limits: [64, 96, 144, 144, 100, 64],
    },
    {
      name: 'after a failed step up it steps down while throughput holds, and back when it drops',
      windows: [
        w(1000, 100, true),
        w(2000, 100, true), // 96
        w(3000, 200, true), // 144
        w(4000, 300, true), // 216
        w(5000, 300, true), // no gain: back to 144, and try 96 against 144's 300
        w(6000, 290, true), // within 10 %: keep, try 64
        w(7000, 200, true), // 33 % less: back to 96, hold until 8000
        w(7500, 290, true), // held
        w(8000, 290, true), // tries up again
      ],
      limits: [64, 96, 144, 216, 96, 64, 96, 96, 144],
    },
    {
      name: 'a failed step up without a backlog any more just steps back',
      windows: [w(1000, 100, true), w(2000, 100, true), w(3000, 150, true), w(4000, 150, false, 90)],
      limits: [64, 96, 144, 96],
    },
    {
      name: 'a downward step that clears the backlog ends the descent',
      windows: [
        w(1000, 100, true),
        w(2000, 100, true), // 96
        w(3000, 200, true), // 144
        w(4000, 200, true), // no gain: back to 96, try 64
        w(5000, 200, false, 60), // as much throughput, nothing waits: stays
      ],
      limits: [64, 96, 144, 64, 64],
    },
  ])('$name', ({ windows, limits }) => {
    const limit = new ConnectionLimit({ initial: 64, max: 1000 });
    expect(windows.map((window) => limit.update(window))).toEqual(limits);
  });

  test.each([
    { initial: 64, max: 100, steps: 3, expected: [96, 100, 100] },
    { initial: 1, max: 10, steps: 3, expected: [2, 3, 5] },
    { initial: 500, max: 10, steps: 1, expected: [10] },
  ])('steps stop at max ($initial → $max)', ({ initial, max, steps, expected }) => {
    const limit = new ConnectionLimit({ initial, max });
    expect(limit.value).toBe(Math.min(initial, max));
    limit.update(w(0, 100, true)); // the first constrained window
    const seen: number[] = [];
    for (let i = 1; i <= steps; i++) seen.push(limit.update(w(i * 1000, 100 * 2 ** i, true)));
    expect(seen).toEqual(expected);
  });

  test('a fixed limit (initial = max) never moves', () => {
    const limit = new ConnectionLimit({ initial: 50, max: 50 });
    expect([w(1000, 10, true), w(2000, 99, true), w(3000, 1, false, 3)].map((x) => limit.update(x))).toEqual([
      50, 50, 50,
    ]);
  });
});
