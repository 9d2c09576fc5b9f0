// A FIFO with O(1) amortised push and shift, and lazy removal: an item that left by another way
// (failed at its deadline while waiting) stays in the array until shift skips it.

export class Fifo<T> {
  private items: T[] = [];
  private head = 0;
  private live = 0;

  /** `waiting(item)` tells whether an item in the array is still waiting to be taken. */
  constructor(private readonly waiting: (item: T) => boolean) {}

  /** Items still waiting. */
  get length(): number {
    return this.live;
  }

  push(item: T): void {
    this.items.push(item);
    this.live++;
  }

  /** Puts `items` before every waiting item, in their order (messages to send again go first). */
  pushFront(items: readonly T[]): void {
    if (items.length === 0) return;
    this.items = [...items, ...this.items.slice(this.head)];
    this.head = 0;
    this.live += items.length;
  }

  /** The oldest waiting item, removed; undefined if none. */
  shift(): T | undefined {
    while (this.head < this.items.length) {
      const item = this.items[this.head++];
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      if (this.waiting(item)) {
        this.live--;
        return item;
      }
    }
    return undefined;
  }

  /** Records that a waiting item left without shift (it is skipped later). */
  forget(): void {
    this.live--;
  }
}
