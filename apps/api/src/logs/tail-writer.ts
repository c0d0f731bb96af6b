import type { Writable } from 'node:stream';

/** What platd holds for one tailing client before it drops that client's lines. */
export const MAX_TAIL_BUFFER_BYTES = 1024 * 1024;

/**
 * Writes a log tail to one client without letting a client that stops
 * reading grow platd: past `maxBuffered` bytes waiting in the response,
 * lines are dropped (for this client only) and counted, and once the client
 * catches up it is told how many it missed.
 */
export class TailWriter {
  readonly #out: Writable;
  readonly #maxBuffered: number;
  readonly #notice: (dropped: number) => string;
  #dropped = 0;

  constructor(out: Writable, options: { notice: (dropped: number) => string; maxBuffered?: number }) {
    this.#out = out;
    this.#notice = options.notice;
    this.#maxBuffered = options.maxBuffered ?? MAX_TAIL_BUFFER_BYTES;
    out.on('drain', () => this.#catchUp());
  }

  /** Lines dropped and not yet reported to the client. */
  get dropped(): number {
    return this.#dropped;
  }

  write(text: string): void {
    if (this.#out.destroyed || this.#out.writableEnded) return;
    if (this.#out.writableLength + Buffer.byteLength(text) > this.#maxBuffered) {
      this.#dropped += 1;
      return;
    }
    this.#catchUp();
    this.#out.write(text);
  }

  #catchUp(): void {
    if (this.#dropped === 0 || this.#out.destroyed || this.#out.writableEnded) return;
    const notice = this.#notice(this.#dropped);
    if (this.#out.writableLength + Buffer.byteLength(notice) > this.#maxBuffered) return;
    this.#dropped = 0;
    this.#out.write(notice);
  }
}
