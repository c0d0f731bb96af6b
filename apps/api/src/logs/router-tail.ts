import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import type { LogHub } from './log-hub.js';
import { routerLine } from './log-line.js';

/**
 * Follows the router's access log (nginx writes it; platd may restart) and
 * turns each request into a router line of its app's log.
 */
export class RouterLogTail {
  readonly #path: string;
  readonly #hub: LogHub;
  readonly #dynoByPort: (port: number) => string | undefined;
  #offset = 0;
  #partial = '';
  #timer: NodeJS.Timeout | undefined;

  constructor(options: { path: string; hub: LogHub; dynoByPort: (port: number) => string | undefined }) {
    this.#path = options.path;
    this.#hub = options.hub;
    this.#dynoByPort = options.dynoByPort;
  }

  /** Starts at the end of the file: what came before was logged by an earlier platd. */
  start(intervalMs = 200): void {
    this.#offset = existsSync(this.#path) ? statSync(this.#path).size : 0;
    this.#timer = setInterval(() => this.poll(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  poll(): void {
    if (!existsSync(this.#path)) return;
    const size = statSync(this.#path).size;
    if (size < this.#offset) this.#offset = 0; // rotated or truncated
    if (size === this.#offset) return;
    const fd = openSync(this.#path, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(size - this.#offset, 4 * 1024 * 1024));
      const read = readSync(fd, buffer, 0, buffer.length, this.#offset);
      this.#offset += read;
      const lines = (this.#partial + buffer.subarray(0, read).toString('utf8')).split('\n');
      this.#partial = lines.pop() ?? '';
      for (const raw of lines) {
        const parsed = routerLine(raw, this.#dynoByPort);
        const appId = parsed && this.#hub.idOf(parsed.app);
        if (parsed && appId) this.#hub.write(appId, parsed.entry);
      }
    } finally {
      closeSync(fd);
    }
  }
}
