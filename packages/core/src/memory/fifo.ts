/**
 * A first-in first-out queue of (time, key) pairs with O(1) amortised push and
 * shift. Retention pruning walks it from the oldest end; unlike deleting from
 * the front of a Map, it leaves no tombstones to skip on the next walk.
 */
export class Fifo {
  #times: number[] = [];
  #keys: string[] = [];
  #head = 0;

  get size(): number {
    return this.#keys.length - this.#head;
  }

  push(time: number, key: string): void {
    this.#times.push(time);
    this.#keys.push(key);
  }

  /** The entries, oldest first. */
  entries(): [time: number, key: string][] {
    return this.#keys.slice(this.#head).map((k, i) => [this.#times[this.#head + i] as number, k]);
  }

  /** Remove and hand to `drop` every oldest entry for which `expired(time, size)` holds. */
  shiftWhile(expired: (time: number, size: number) => boolean, drop: (key: string) => void): void {
    while (this.#head < this.#keys.length && expired(this.#times[this.#head] as number, this.size)) {
      drop(this.#keys[this.#head] as string);
      this.#head += 1;
    }
    if (this.#head > 4096 && this.#head * 2 > this.#keys.length) {
      this.#times = this.#times.slice(this.#head);
      this.#keys = this.#keys.slice(this.#head);
      this.#head = 0;
    }
  }
}
