/**
 * Counts events per key in fixed windows (e.g. failed sign-ins per client
 * address per minute), in memory and bounded: at most `maxKeys` keys are
 * kept, so a flood of distinct keys cannot grow platd. Expired windows are
 * swept when the map is full; if it is still full, the least recently
 * counted key goes.
 */
export interface WindowCount {
  /** Events in the current window, this one included. */
  count: number;
  /** Until the window ends and the count starts again from zero. */
  resetInMs: number;
}

interface Entry {
  count: number;
  startedAt: number;
}

export class WindowCounter {
  readonly windowMs: number;
  readonly maxKeys: number;
  readonly #now: () => number;
  // A Map iterates in insertion order: re-inserting on every hit keeps the
  // least recently counted key first.
  readonly #entries = new Map<string, Entry>();
  #sweptAt = -Infinity;

  constructor(options: { windowMs: number; maxKeys?: number; now?: () => number }) {
    if (!(options.windowMs > 0)) throw new Error('windowMs must be positive');
    this.windowMs = options.windowMs;
    this.maxKeys = Math.max(1, options.maxKeys ?? 10_000);
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Counts one event for the key. */
  hit(key: string): WindowCount {
    const now = this.#now();
    let entry = this.#live(key, now);
    this.#entries.delete(key);
    if (!entry) {
      this.#makeRoom(now);
      entry = { count: 0, startedAt: now };
    }
    entry.count += 1;
    this.#entries.set(key, entry);
    return { count: entry.count, resetInMs: entry.startedAt + this.windowMs - now };
  }

  /** The key's count without counting anything. */
  peek(key: string): WindowCount {
    const now = this.#now();
    const entry = this.#live(key, now);
    return entry
      ? { count: entry.count, resetInMs: entry.startedAt + this.windowMs - now }
      : { count: 0, resetInMs: 0 };
  }

  #live(key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && now - entry.startedAt >= this.windowMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #makeRoom(now: number): void {
    if (this.#entries.size < this.maxKeys) return;
    // A full sweep costs a pass over every key: at most once a second, so a
    // flood of new keys costs O(1) each (the least recent one goes).
    if (now - this.#sweptAt >= Math.min(this.windowMs, 1000)) {
      this.#sweptAt = now;
      for (const [key, entry] of this.#entries) {
        if (now - entry.startedAt >= this.windowMs) this.#entries.delete(key);
      }
    }
    while (this.#entries.size >= this.maxKeys) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }
}
