import { describe, expect, it } from 'vitest';
import { SmallHeapPreference } from './small-heap.ts';

describe('SmallHeapPreference', () => {
  const make = (nodeOptions: string[] = []) => {
    const calls: string[] = [];
    const preference = new SmallHeapPreference({ setFlags: (f) => calls.push(f), nodeOptions });
    return { calls, preference };
  };

  it('sets the flag for a run and restores the default after it', () => {
    const { calls, preference } = make();
    const release = preference.hold();
    expect(calls).toEqual(['--optimize-for-size']);
    release();
    expect(calls).toEqual(['--optimize-for-size', '--no-optimize-for-size']);
  });

  it('restores only when the last of overlapping runs ends, and a second release is a no-op', () => {
    const { calls, preference } = make();
    const first = preference.hold();
    const second = preference.hold();
    first();
    first();
    expect(calls).toEqual(['--optimize-for-size']);
    second();
    expect(calls).toEqual(['--optimize-for-size', '--no-optimize-for-size']);
    preference.hold();
    expect(calls).toEqual(['--optimize-for-size', '--no-optimize-for-size', '--optimize-for-size']);
  });

  it.each([['--optimize-for-size'], ['--no-optimize-for-size'], ['--optimize_for_size']])(
    'leaves V8 alone when the process was started with %s',
    (option) => {
      const { calls, preference } = make(['--max-old-space-size=512', option]);
      preference.hold()();
      expect(calls).toEqual([]);
    },
  );

  it('is not fooled by a similar option', () => {
    const { calls, preference } = make(['--optimize-for-size-please']);
    preference.hold()();
    expect(calls).toHaveLength(2);
  });
});
