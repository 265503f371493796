/**
 * LangChain runs by `runId` → `parentRunId`, so a model or tool run can be
 * charged to the root run it belongs to, however deeply nested, and
 * concurrent invocations never share one.
 */
export class RunTree {
  readonly #parents = new Map<string, string | undefined>();

  start(runId: string, parentRunId: string | undefined): void {
    this.#parents.set(runId, parentRunId);
  }

  end(runId: string): void {
    this.#parents.delete(runId);
  }

  /** The outermost run known above `runId` (itself when it has no known parent). */
  rootOf(runId: string, parentRunId?: string): string {
    let root = runId;
    let next = parentRunId ?? this.#parents.get(runId);
    for (let depth = 0; next !== undefined && depth < 1_000; depth++) {
      root = next;
      next = this.#parents.get(next);
    }
    return root;
  }

  /** Runs currently tracked (started, not ended). */
  get size(): number {
    return this.#parents.size;
  }
}
