/** A first-in first-out queue with amortised O(1) push and shift. */

/** FIFO built from two stacks: `push` onto one, `shift` pops from the other (refilled reversed). */
export class Fifo<T> {
  #in: T[] = [];
  #out: T[] = [];

  /** Number of queued items. */
  get length(): number {
    return this.#in.length + this.#out.length;
  }

  /** Append an item at the back. */
  push(item: T): void {
    this.#in.push(item);
  }

  /** Put items back at the front, in their order (`items[0]` becomes the front item). */
  unshift(...items: T[]): void {
    for (let i = items.length - 1; i >= 0; i--) this.#out.push(items[i]!);
  }

  /** Remove and return the front item; undefined when empty. */
  shift(): T | undefined {
    if (this.#out.length === 0) {
      if (this.#in.length === 0) return undefined;
      const swap = this.#out;
      this.#out = this.#in.reverse();
      this.#in = swap;
    }
    return this.#out.pop();
  }

  /** The front item, without removing it; undefined when empty. */
  peek(): T | undefined {
    return this.#out.length > 0 ? this.#out[this.#out.length - 1] : this.#in[0];
  }

  /** The items, front first, without removing them. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.#out.length - 1; i >= 0; i--) yield this.#out[i]!;
    yield* this.#in;
  }

  /** Remove and return every item, front first. */
  drain(): T[] {
    const all = this.#out.reverse().concat(this.#in);
    this.#in = [];
    this.#out = [];
    return all;
  }
}
