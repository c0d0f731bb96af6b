import { PassThrough } from 'node:stream';

/**
 * An interactive session's output, line by line: waits for the next line
 * that starts with a prefix, or fails when the session ends first (with
 * what it said on stderr) or the time is up.
 */
export class SessionLines {
  readonly stream = new PassThrough();
  readonly #lines: string[] = [];
  #partial = '';
  #wake: (() => void) | undefined;
  #ended = false;

  constructor() {
    this.stream.on('data', (chunk: Buffer) => {
      const text = this.#partial + chunk.toString('utf8');
      const parts = text.split('\n');
      this.#partial = (parts.pop() ?? '').slice(-1_000_000);
      this.#lines.push(...parts);
      this.#wake?.();
    });
  }

  /** The session ended (its exec resolved): waiting stops. */
  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async next(prefix: string, timeoutMs: number, ended: () => string): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.#lines.findIndex((line) => line.startsWith(prefix));
      if (index >= 0)
        return this.#lines
          .splice(0, index + 1)
          .pop()!
          .slice(prefix.length);
      if (this.#ended) throw new Error(ended());
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }
}
