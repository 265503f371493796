/**
 * Where kept answers keep their figures: slabs of 4,096 doubles filled in
 * order, an answer's figures a run at some offset of one slab. A slab goes
 * when the last answer pointing into it goes; answers are dropped oldest
 * first, so a slab's answers go together. Per answer: no array of its own
 * (two objects fewer for the collector to copy, 48 bytes less).
 */
const SLAB = 4096;

export class FigureSlabs {
  #slab = new Float64Array(SLAB);
  #used = 0;

  /** The slab that the next `take` cuts from. */
  get slab(): Float64Array {
    return this.#slab;
  }

  /** Room for `n` figures: their offset in `slab` (read `slab` after taking). */
  take(n: number): number {
    if (this.#used + n > SLAB) {
      this.#slab = new Float64Array(Math.max(SLAB, n));
      this.#used = 0;
    }
    const at = this.#used;
    this.#used += n;
    return at;
  }
}
