import type { LogLine } from '../logs/log-line.js';

/** A line waiting for its drain, numbered so a batch in flight is acknowledged by number. */
interface Queued {
  seq: number;
  line: LogLine;
  bytes: number;
}

export interface Batch {
  lines: LogLine[];
  /** Acknowledge with this once the drain has the batch. */
  lastSeq: number;
}

export interface Overflow {
  dropped: number;
  since: Date;
}

/**
 * One drain's lines not yet delivered, bounded in lines and bytes: a drain
 * that is slow or dead loses its oldest lines, never platd's memory. Lines
 * stay queued while a batch is in flight and go only when it is
 * acknowledged, so a failed attempt resends them (at least once). Dropped
 * lines are counted for Heroku's L10 message.
 */
export class DeliveryQueue {
  readonly #maxLines: number;
  readonly #maxBytes: number;
  #items: Queued[] = [];
  /** Index of the oldest kept item: shifting arrays is O(n), so the front moves instead. */
  #head = 0;
  #bytes = 0;
  #nextSeq = 1;
  #dropped = 0;
  #droppedSince: Date | undefined;

  constructor(options: { maxLines: number; maxBytes: number }) {
    this.#maxLines = options.maxLines;
    this.#maxBytes = options.maxBytes;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Lines dropped since the last overflow was taken. */
  get dropped(): number {
    return this.#dropped;
  }

  push(line: LogLine): void {
    // What a line costs to keep: its text, and a little for the rest.
    const bytes = Buffer.byteLength(line.line) + line.dyno.length + 64;
    this.#items.push({ seq: this.#nextSeq++, line, bytes });
    this.#bytes += bytes;
    while (this.size > this.#maxLines || (this.#bytes > this.#maxBytes && this.size > 1)) {
      const oldest = this.#items[this.#head]!;
      this.#head += 1;
      this.#bytes -= oldest.bytes;
      this.#dropped += 1;
      this.#droppedSince ??= oldest.line.at;
    }
    this.#compact();
  }

  /**
   * The oldest lines, up to `maxLines` and about `maxBytes` (at least one
   * line) and none after `upToSeq`, without removing them.
   */
  peek(maxLines: number, maxBytes: number, upToSeq = Number.POSITIVE_INFINITY): Batch | undefined {
    if (this.size === 0) return undefined;
    const lines: LogLine[] = [];
    let bytes = 0;
    let lastSeq = 0;
    for (let i = this.#head; i < this.#items.length && lines.length < maxLines; i += 1) {
      const item = this.#items[i]!;
      if (item.seq > upToSeq) break;
      if (lines.length > 0 && bytes + item.bytes > maxBytes) break;
      lines.push(item.line);
      bytes += item.bytes;
      lastSeq = item.seq;
    }
    return lines.length > 0 ? { lines, lastSeq } : undefined;
  }

  /** The drain has every line up to `lastSeq`; lines dropped meanwhile are already gone. */
  ack(lastSeq: number): void {
    while (this.size > 0 && this.#items[this.#head]!.seq <= lastSeq) {
      this.#bytes -= this.#items[this.#head]!.bytes;
      this.#head += 1;
    }
    this.#compact();
  }

  /** Lines dropped since the last call, and the time of the oldest; counting starts again. */
  takeOverflow(): Overflow | undefined {
    if (this.#dropped === 0) return undefined;
    const overflow = { dropped: this.#dropped, since: this.#droppedSince! };
    this.#dropped = 0;
    this.#droppedSince = undefined;
    return overflow;
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    if (this.size === 0) {
      this.#items = [];
      this.#head = 0;
    }
  }
}

/** Heroku's wording, so tools that watch for L10 find it. */
export function overflowMessage(overflow: Overflow, token: string): string {
  return (
    `Error L10 (output buffer overflow): ${overflow.dropped} messages dropped since ` +
    `${overflow.since.toISOString()} (drain ${token})`
  );
}

/** Seconds before attempt `failures + 1`: 1, 2, 4 … up to a minute. */
export function retryDelayMs(failures: number, maxMs = 60_000): number {
  return Math.min(maxMs, 1000 * 2 ** Math.max(0, failures - 1));
}
