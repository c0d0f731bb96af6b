import type { ServerResponse } from 'node:http';
import { ResponseStream } from './response-stream.js';

// Where the log tail's routes have always found them.
export { clientGone, ResponseStream } from './response-stream.js';

/** How often an idle stream gets a comment, so proxies and clients see it alive. */
export const HEARTBEAT_MS = 15_000;
/** What one client may have unread in its response before it is dropped. */
export const MAX_SSE_BUFFER_BYTES = 256 * 1024;

/** One Server-Sent Events message: `id`, `event` and `data` lines, data split at newlines. */
export function sseMessage(message: { event?: string; id?: string | number; data: string }): string {
  const lines: string[] = [];
  if (message.id !== undefined) lines.push(`id: ${message.id}`);
  if (message.event) lines.push(`event: ${message.event}`);
  for (const line of message.data.split(/\r\n|\r|\n/)) lines.push(`data: ${line}`);
  return `${lines.join('\n')}\n\n`;
}

export interface SseOptions {
  heartbeatMs?: number;
  maxBuffered?: number;
  /** Run at each heartbeat: false (or a throw) ends the stream, e.g. a revoked token or a removed collaborator. */
  stillAllowed?: () => Promise<boolean>;
}

/**
 * A Server-Sent Events response on a hijacked reply: headers, a heartbeat
 * comment every HEARTBEAT_MS, and writes that refuse (false) once the client
 * has more than `maxBuffered` bytes unread, so the caller drops it. It closes
 * when the client leaves (even before it was made), when a write fails, when
 * the client has read nothing for a whole heartbeat, or when `stillAllowed` says no.
 */
export class SseStream {
  readonly #out: ServerResponse;
  readonly #maxBuffered: number;
  readonly #heartbeat: NodeJS.Timeout | undefined;
  readonly #stillAllowed: (() => Promise<boolean>) | undefined;
  /** The ending (client gone, close()) the log tail shares; the heartbeat stops first. */
  readonly #end: ResponseStream;
  #checking = false;
  #stalled = false;

  constructor(out: ServerResponse, options: SseOptions = {}) {
    this.#out = out;
    this.#maxBuffered = options.maxBuffered ?? MAX_SSE_BUFFER_BYTES;
    this.#stillAllowed = options.stillAllowed;
    this.#end = new ResponseStream(out, () => clearInterval(this.#heartbeat));
    if (this.#end.closed) return;
    out.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      // nginx (the API domain) must pass events on at once.
      'x-accel-buffering': 'no',
      // Not kept alive once it ends: a half-closed client socket would otherwise hold server.close() open.
      connection: 'close',
    });
    this.#write(': connected\n\n');
    // A first write that failed closed it already: no heartbeat would ever be stopped then.
    if (this.closed) return;
    this.#heartbeat = setInterval(() => this.#beat(), options.heartbeatMs ?? HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  get closed(): boolean {
    return this.#end.closed;
  }

  /** Runs once the stream ends, whoever ends it. */
  onClose(callback: () => void): void {
    this.#end.onClose(callback);
  }

  /** False when the client is behind (the message is not written) or gone. */
  send(message: { event?: string; id?: string | number; data: string }): boolean {
    return this.#write(sseMessage(message));
  }

  /** A comment line (clients ignore it; people reading the stream see it). */
  comment(text: string): boolean {
    return this.#write(`: ${text.replace(/[\r\n]+/g, ' ')}\n\n`);
  }

  /** Sends once the client has room, waiting for it to read: false once the stream is closed. */
  async sendWhenReady(message: { event?: string; id?: string | number; data: string }): Promise<boolean> {
    const text = sseMessage(message);
    while (!this.closed && this.#full(text)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.#out.off('drain', done);
          // Each wait's callback goes once it has run: a stream that waits all day does not pile them up.
          this.#end.offClose(done);
          resolve();
        };
        this.#out.once('drain', done);
        this.onClose(done);
      });
    }
    return this.#write(text);
  }

  close(): void {
    this.#end.close();
  }

  #beat(): void {
    // A client that read nothing for a whole heartbeat (its buffer full then and now) is dropped.
    if (this.#full(': heartbeat\n\n')) {
      if (this.#stalled) {
        this.close();
        return;
      }
      this.#stalled = true;
    } else {
      this.#stalled = false;
      if (!this.#write(': heartbeat\n\n')) {
        this.close();
        return;
      }
    }
    if (!this.#stillAllowed || this.#checking) return;
    this.#checking = true;
    this.#stillAllowed()
      .catch(() => false)
      .then((allowed) => {
        this.#checking = false;
        if (!allowed) this.close();
      });
  }

  #full(text: string): boolean {
    return this.#out.writableLength > 0 && this.#out.writableLength + Buffer.byteLength(text) > this.#maxBuffered;
  }

  #write(text: string): boolean {
    if (this.closed) return false;
    if (this.#out.destroyed || this.#out.writableEnded) {
      this.close();
      return false;
    }
    if (this.#out.writableLength + Buffer.byteLength(text) > this.#maxBuffered) return false;
    try {
      this.#out.write(text, (error) => {
        if (error) this.close();
      });
    } catch {
      this.close();
      return false;
    }
    return true;
  }
}
