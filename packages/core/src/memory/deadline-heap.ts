/** A binary min-heap of (deadline, id): the next reservation to expire is always on top. */
export class DeadlineHeap {
  #deadlines: number[] = [];
  #ids: string[] = [];

  get size(): number {
    return this.#ids.length;
  }

  push(deadline: number, id: string): void {
    let i = this.#ids.length;
    this.#deadlines.push(deadline);
    this.#ids.push(id);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.#deadlines[parent] as number) <= deadline) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  /** Pop and return the id on top if its deadline is before `now`. */
  popBefore(now: number): string | undefined {
    if (this.#ids.length === 0 || (this.#deadlines[0] as number) >= now) return undefined;
    const top = this.#ids[0] as string;
    const lastDeadline = this.#deadlines.pop() as number;
    const lastId = this.#ids.pop() as string;
    if (this.#ids.length > 0) {
      this.#deadlines[0] = lastDeadline;
      this.#ids[0] = lastId;
      this.#siftDown(0);
    }
    return top;
  }

  #siftDown(i: number): void {
    const n = this.#ids.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < n && (this.#deadlines[l] as number) < (this.#deadlines[smallest] as number)) smallest = l;
      if (r < n && (this.#deadlines[r] as number) < (this.#deadlines[smallest] as number)) smallest = r;
      if (smallest === i) return;
      this.#swap(i, smallest);
      i = smallest;
    }
  }

  #swap(a: number, b: number): void {
    const d = this.#deadlines[a] as number;
    this.#deadlines[a] = this.#deadlines[b] as number;
    this.#deadlines[b] = d;
    const id = this.#ids[a] as string;
    this.#ids[a] = this.#ids[b] as string;
    this.#ids[b] = id;
  }

  /** Replace the contents with `entries` (deadline, id), in O(n). */
  rebuild(entries: Iterable<readonly [number, string]>): void {
    this.#deadlines = [];
    this.#ids = [];
    for (const [deadline, id] of entries) {
      this.#deadlines.push(deadline);
      this.#ids.push(id);
    }
    for (let i = (this.#ids.length >> 1) - 1; i >= 0; i--) this.#siftDown(i);
  }
}
