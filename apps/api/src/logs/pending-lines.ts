import type { LogLine } from './log-line.js';

/**
 * An app's lines waiting for the next flush to the database, bounded in
 * count and bytes: an app logging faster than a flush can store keeps its
 * newest lines (the store keeps only the newest anyway), and platd's memory
 * stays flat however fast a dyno prints.
 */
export class PendingLines {
  readonly #maxLines: number;
  readonly #maxBytes: number;
  #lines: (LogLine | undefined)[] = [];
  #first = 0;
  #bytes = 0;
  /** Lines dropped before they could be stored. */
  dropped = 0;

  constructor(options: { maxLines: number; maxBytes: number }) {
    this.#maxLines = options.maxLines;
    this.#maxBytes = options.maxBytes;
  }

  push(line: LogLine): void {
    this.#lines.push(line);
    this.#bytes += line.line.length;
    while (
      this.#lines.length - this.#first > 1 &&
      (this.#lines.length - this.#first > this.#maxLines || this.#bytes > this.#maxBytes)
    ) {
      this.#bytes -= this.#lines[this.#first]!.line.length;
      this.#lines[this.#first] = undefined;
      this.#first += 1;
      this.dropped += 1;
    }
    // Compact now and then rather than shifting the array on every line.
    if (this.#first > 1024 && this.#first * 2 > this.#lines.length) {
      this.#lines = this.#lines.slice(this.#first);
      this.#first = 0;
    }
  }

  lines(): LogLine[] {
    return this.#lines.slice(this.#first) as LogLine[];
  }
}
