import { PlatError } from '@plat/core';

/** Streams (SSE and `logs?tail=true`) one user may hold open at once. */
export const MAX_STREAMS_PER_USER = 10;
/** Streams platd holds open at once, all users together. */
export const MAX_STREAMS = 500;

/** A place for one stream, taken before the response is hijacked so a refusal can still be a 429. */
export interface StreamSlot {
  /** The stream now open in this place: closed by closeAll, and the place freed once it closes. */
  attach(stream: { close(): void; onClose(callback: () => void): void }): void;
  /** Frees the place of a stream that never opened (idempotent). */
  release(): void;
}

/**
 * Every live stream of this platd: bounded per user and in all, and closed
 * together at shutdown (a hijacked reply would otherwise hold server.close()
 * open for as long as its client stays).
 */
export class LiveStreams {
  readonly #perUser = new Map<string, number>();
  readonly #open = new Set<{ close(): void }>();
  readonly #limits: { perUser: number; total: number };
  #taken = 0;
  #closed = false;

  constructor(limits: Partial<{ perUser: number; total: number }> = {}) {
    this.#limits = { perUser: limits.perUser ?? MAX_STREAMS_PER_USER, total: limits.total ?? MAX_STREAMS };
  }

  /** Open (or about to open) streams, all users together. */
  get size(): number {
    return this.#taken;
  }

  reserve(userId: string): StreamSlot {
    if (this.#closed) throw new PlatError('unavailable', 'platd is shutting down: reconnect in a moment.');
    const mine = this.#perUser.get(userId) ?? 0;
    if (mine >= this.#limits.perUser)
      throw new PlatError(
        'rate_limited',
        `You have ${mine} live streams (events, log streams, log tails) open, the most one user may: ` +
          'close one, then try again.',
      );
    if (this.#taken >= this.#limits.total)
      throw new PlatError('rate_limited', `platd holds ${this.#taken} live streams, its most: try again later.`);
    this.#perUser.set(userId, mine + 1);
    this.#taken += 1;
    let released = false;
    let attached: { close(): void } | undefined;
    const release = () => {
      if (released) return;
      released = true;
      if (attached) this.#open.delete(attached);
      this.#taken -= 1;
      const left = (this.#perUser.get(userId) ?? 1) - 1;
      if (left > 0) this.#perUser.set(userId, left);
      else this.#perUser.delete(userId);
    };
    return {
      attach: (stream) => {
        if (released) return stream.close();
        attached = stream;
        this.#open.add(stream);
        stream.onClose(release);
        if (this.#closed) stream.close();
      },
      release,
    };
  }

  /** Ends every open stream, and refuses new ones (platd's shutdown). */
  closeAll(): void {
    this.#closed = true;
    for (const stream of [...this.#open]) stream.close();
  }
}

/** Closes every live stream of an app (events, log streams, log tails): on destroy and on rename. */
export function endAppStreams(
  platform: { logs: { end(appId: string): void }; events: { end(appId: string): void } },
  appId: string,
): void {
  platform.logs.end(appId);
  platform.events.end(appId);
}
