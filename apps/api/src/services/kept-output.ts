/**
 * What a build row keeps of a build's output: the first lines and the last,
 * within a byte budget, with a note of what was left out between them. The
 * start says what was built, the end why it failed; a build printing without
 * end must not grow platd or the database.
 */
export class KeptOutput {
  readonly #half: number;
  readonly #head: string[] = [];
  #headBytes = 0;
  #tail: string[] = [];
  #tailBytes = 0;
  #tailStart = 0;
  #omittedLines = 0;
  #omittedBytes = 0;

  constructor(maxBytes = 512 * 1024) {
    this.#half = Math.floor(maxBytes / 2);
  }

  push(line: string): void {
    const text = line.length > this.#half ? line.slice(0, this.#half) : line;
    const bytes = Buffer.byteLength(text) + 1;
    if (this.#tail.length === 0 && this.#headBytes + bytes <= this.#half) {
      this.#head.push(text);
      this.#headBytes += bytes;
      return;
    }
    this.#tail.push(text);
    this.#tailBytes += bytes;
    while (this.#tailBytes > this.#half) {
      const dropped = this.#tail[this.#tailStart]!;
      this.#tail[this.#tailStart] = '';
      this.#tailStart += 1;
      this.#tailBytes -= Buffer.byteLength(dropped) + 1;
      this.#omittedLines += 1;
      this.#omittedBytes += Buffer.byteLength(dropped) + 1;
    }
    // Compact now and then rather than shifting the array on every line.
    if (this.#tailStart > 1024 && this.#tailStart * 2 > this.#tail.length) {
      this.#tail = this.#tail.slice(this.#tailStart);
      this.#tailStart = 0;
    }
  }

  text(): string {
    const tail = this.#tail.slice(this.#tailStart);
    const gap =
      this.#omittedLines > 0
        ? [
            `       ... ${this.#omittedLines} lines (${Math.ceil(this.#omittedBytes / 1024)} KB) ` +
              'of output left out here ...',
          ]
        : [];
    return [...this.#head, ...gap, ...tail].join('\n');
  }
}
