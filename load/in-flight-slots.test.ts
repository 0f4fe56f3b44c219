import { describe, expect, test } from 'vitest';
import { InFlightSlots } from './in-flight-slots.ts';

const item = (name: string) => ({ name, slot: -1 });
const names = (slots: InFlightSlots<{ name: string; slot: number }>) => [...slots].map((i) => i.name);

describe('InFlightSlots', () => {
  test.each([
    { ops: ['+a', '+b', '+c'], expected: ['a', 'b', 'c'], size: 3 },
    { ops: ['+a', '+b', '-a'], expected: ['b'], size: 1 },
    // A freed slot is reused before the array grows.
    { ops: ['+a', '+b', '+c', '-b', '+d'], expected: ['a', 'd', 'c'], size: 3 },
    { ops: ['+a', '-a', '-a'], expected: [], size: 0 },
    // Adding twice, or deleting what was never added, changes nothing.
    { ops: ['+a', '+a', '-b'], expected: ['a'], size: 1 },
    { ops: ['+a', '+b', '-a', '-b', '+c', '+d', '+e'], expected: ['d', 'c', 'e'], size: 3 },
  ])('$ops → $expected', ({ ops, expected, size }) => {
    const slots = new InFlightSlots<{ name: string; slot: number }>();
    const items = new Map<string, { name: string; slot: number }>();
    for (const op of ops) {
      const name = op.slice(1);
      if (!items.has(name)) items.set(name, item(name));
      if (op[0] === '+') slots.add(items.get(name)!);
      else slots.delete(items.get(name)!);
    }
    expect(names(slots)).toEqual(expected);
    expect(slots.size).toBe(size);
  });

  test('a deleted item holds no slot and the structure no longer references it', () => {
    const slots = new InFlightSlots<{ name: string; slot: number }>();
    const a = item('a');
    slots.add(a);
    expect(a.slot).toBe(0);
    slots.delete(a);
    expect(a.slot).toBe(-1);
    expect([...slots]).toEqual([]);
  });

  test('an item deleted while iterating is skipped; the iteration goes on', () => {
    const slots = new InFlightSlots<{ name: string; slot: number }>();
    const [a, b, c] = [item('a'), item('b'), item('c')];
    for (const i of [a, b, c]) slots.add(i);
    const seen: string[] = [];
    for (const i of slots) {
      seen.push(i.name);
      if (i === a) slots.delete(b);
    }
    expect(seen).toEqual(['a', 'c']);
  });
});
