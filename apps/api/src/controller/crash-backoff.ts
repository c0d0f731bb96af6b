/**
 * When to restart a crashed dyno: the first restart at once, then after 1 s,
 * 2 s, 4 s ... up to 5 minutes; a dyno that stayed up 10 minutes starts
 * over. Pure, with the clock passed in.
 */
export const BACKOFF = { baseMs: 1000, capMs: 5 * 60_000, resetAfterUpMs: 10 * 60_000 } as const;

export interface CrashRecord {
  restarts: number;
  exitCode: number;
  /** Not restarted before this time. */
  retryAt: number;
  /** When its current container started, for the reset rule. */
  startedAt: number;
}

export function restartDelay(restarts: number): number {
  if (restarts <= 1) return 0;
  return Math.min(BACKOFF.baseMs * 2 ** (restarts - 2), BACKOFF.capMs);
}

/** Crash records are kept per app, release and dyno name: a restart generation does not reset the backoff. */
export function crashKey(app: string, releaseId: string, dyno: string): string {
  return `${app}/${releaseId}/${dyno}`;
}

export class CrashTracker {
  readonly #records = new Map<string, CrashRecord>();

  /** Records a crash and returns when to restart. */
  crashed(key: string, exitCode: number, now: number): CrashRecord {
    const previous = this.#records.get(key);
    const stayedUp = previous !== undefined && now - previous.startedAt >= BACKOFF.resetAfterUpMs;
    const restarts = previous && !stayedUp ? previous.restarts + 1 : 1;
    const record = { restarts, exitCode, retryAt: now + restartDelay(restarts), startedAt: previous?.startedAt ?? now };
    this.#records.set(key, record);
    return record;
  }

  started(key: string, now: number): void {
    const record = this.#records.get(key);
    if (record) record.startedAt = now;
  }

  holding(key: string, now: number): boolean {
    const record = this.#records.get(key);
    return record !== undefined && record.retryAt > now;
  }

  get(key: string): CrashRecord | undefined {
    return this.#records.get(key);
  }

  /**
   * Dynos crashing again and again now: at least `minRestarts` crashes in a
   * row, and either held back or not up long enough since to start over.
   */
  looping(now: number, minRestarts: number): { key: string; record: CrashRecord }[] {
    return [...this.#records]
      .filter(
        ([, record]) =>
          record.restarts >= minRestarts && (record.retryAt > now || now - record.startedAt < BACKOFF.resetAfterUpMs),
      )
      .map(([key, record]) => ({ key, record }));
  }

  /** Forgets the app's dynos no longer desired (scaled away, old releases); other apps' records stay. */
  retain(app: string, keys: Set<string>): void {
    const prefix = `${app}/`;
    for (const key of this.#records.keys()) if (key.startsWith(prefix) && !keys.has(key)) this.#records.delete(key);
  }
}
