/**
 * The requests on the wire, for the engine's deadline sweep: an array of slots, each cleared when its
 * request settles and reused by the next one.
 *
 * Not a `Set`: V8 leaves a rehashed Set's old table linked to its successor, so once one table is in
 * the old generation the chain keeps every later request alive through scavenges and promotes it
 * (load/README.md, "Memory": "What the fix was", with the figures).
 */
export class InFlightSlots<T extends { slot: number }> {
  readonly #slots: (T | undefined)[] = [];
  /** Indices of empty slots, reused before the array grows. */
  readonly #free: number[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(item: T): void {
    if (item.slot >= 0) return;
    const slot = this.#free.pop() ?? this.#slots.length;
    this.#slots[slot] = item;
    item.slot = slot;
    this.#size += 1;
  }

  delete(item: T): void {
    if (item.slot < 0 || this.#slots[item.slot] !== item) return;
    this.#slots[item.slot] = undefined;
    this.#free.push(item.slot);
    item.slot = -1;
    this.#size -= 1;
  }

  /**
   * The items in slot order. One deleted during the iteration is skipped; one added during it may or
   * may not be visited (it can take a freed slot on either side).
   */
  *[Symbol.iterator](): IterableIterator<T> {
    const slots = this.#slots;
    for (let i = 0; i < slots.length; i++) {
      const item = slots[i];
      if (item) yield item;
    }
  }
}
