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

  /**
   * Remove and hand to `drop` every oldest entry kept past `retentionMs` at
   * `now`, or past `maxSize` entries. (Called on every operation: no closure
   * per call, and nothing to do costs two comparisons.)
   */
  shiftExpired(now: number, retentionMs: number, maxSize: number, drop: (key: string) => void): void {
    const times = this.#times;
    const end = this.#keys.length;
    while (
      this.#head < end &&
      ((times[this.#head] as number) + retentionMs < now || end - this.#head > maxSize)
    ) {
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
