/** A session as the HTTP server keeps it: when it was last used, how many requests it has open. */
export interface Entry {
  lastActive: number;
  open: number;
  /** The bearer token it was opened with (a request with another token does not reach it). */
  token?: string | undefined;
  close: () => Promise<void>;
}

/**
 * The open sessions, bounded: at most `max` (the longest idle goes first to
 * make room), and a session with no request open for `idleMs` is closed.
 */
export class SessionTable<E extends Entry> {
  readonly #entries = new Map<string, E>();
  readonly #timer: NodeJS.Timeout;

  constructor(
    readonly max: number,
    readonly idleMs: number,
  ) {
    this.#timer = setInterval(() => void this.reap(), Math.max(50, Math.min(idleMs / 4, 10_000)));
    this.#timer.unref();
  }

  get size() {
    return this.#entries.size;
  }
  ids() {
    return [...this.#entries.keys()];
  }
  get(id: string) {
    return this.#entries.get(id);
  }

  /** Whether a new session could be added now (by closing an idle one if need be). */
  hasRoom(): boolean {
    return this.#entries.size < this.max || this.#idlest() !== undefined;
  }

  /** Add a session, closing the longest idle one if the table is full; false if all are busy. */
  async add(id: string, entry: E): Promise<boolean> {
    if (this.#entries.size >= this.max) {
      const idlest = this.#idlest();
      if (!idlest) return false;
      await this.close(idlest);
    }
    this.#entries.set(id, entry);
    return true;
  }

  /** Count a request in, until `done` fires. */
  track(entry: E, done: (listener: () => void) => void): void {
    entry.open++;
    entry.lastActive = Date.now();
    done(() => {
      entry.open--;
      entry.lastActive = Date.now();
    });
  }

  async close(id: string): Promise<void> {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    await entry.close().catch(() => undefined);
  }

  /** Close every session idle for longer than `idleMs`. */
  async reap(now = Date.now()): Promise<void> {
    const idle = [...this.#entries].filter(([, e]) => e.open === 0 && now - e.lastActive >= this.idleMs);
    await Promise.all(idle.map(([id]) => this.close(id)));
  }

  async closeAll(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all(this.ids().map((id) => this.close(id)));
  }

  #idlest(): string | undefined {
    let found: [string, E] | undefined;
    for (const pair of this.#entries)
      if (pair[1].open === 0 && (!found || pair[1].lastActive < found[1].lastActive)) found = pair;
    return found?.[0];
  }
}
