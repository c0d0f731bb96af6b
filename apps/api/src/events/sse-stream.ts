import type { ServerResponse } from 'node:http';

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

/** Whether the client of a response is gone already (it may leave while a handler awaits, before any listener). */
export function clientGone(out: ServerResponse): boolean {
  return Boolean(out.destroyed || out.socket?.destroyed || out.req?.destroyed || (out.req && !out.socket));
}

/**
 * A plain streamed response (the text log tail) with the SseStream's ending:
 * closed once the client leaves (even before this was made) or by close().
 */
export class ResponseStream {
  readonly #out: ServerResponse;
  readonly #onClose: (() => void)[] = [];
  #closed = false;

  constructor(out: ServerResponse) {
    this.#out = out;
    if (clientGone(out)) {
      this.close();
      return;
    }
    const close = () => this.close();
    out.on('close', close);
    out.on('error', close);
    out.socket?.on('close', close);
  }

  get closed(): boolean {
    return this.#closed;
  }

  onClose(callback: () => void): void {
    if (this.#closed) callback();
    else this.#onClose.push(callback);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (!this.#out.writableEnded && !this.#out.destroyed) this.#out.end();
    } catch {
      // Gone already: nothing to end.
    }
    for (const callback of this.#onClose.splice(0)) callback();
  }
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
  #checking = false;
  #stalled = false;
  #closed = false;
  readonly #onClose: (() => void)[] = [];

  constructor(out: ServerResponse, options: SseOptions = {}) {
    this.#out = out;
    this.#maxBuffered = options.maxBuffered ?? MAX_SSE_BUFFER_BYTES;
    this.#stillAllowed = options.stillAllowed;
    if (clientGone(out)) {
      this.close();
      return;
    }
    out.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      // nginx (the API domain) must pass events on at once.
      'x-accel-buffering': 'no',
      // Not kept alive once it ends: a half-closed client socket would otherwise hold server.close() open.
      connection: 'close',
    });
    const close = () => this.close();
    out.on('close', close);
    out.on('error', close);
    out.socket?.on('close', close);
    this.#write(': connected\n\n');
    this.#heartbeat = setInterval(() => this.#beat(), options.heartbeatMs ?? HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Runs once the stream ends, whoever ends it. */
  onClose(callback: () => void): void {
    if (this.#closed) callback();
    else this.#onClose.push(callback);
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
    while (!this.#closed && this.#full(text)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.#out.off('drain', done);
          // Each wait's callback goes once it has run: a stream that waits all day does not pile them up.
          const index = this.#onClose.indexOf(done);
          if (index !== -1) this.#onClose.splice(index, 1);
          resolve();
        };
        this.#out.once('drain', done);
        this.onClose(done);
      });
    }
    return this.#write(text);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    try {
      if (!this.#out.writableEnded && !this.#out.destroyed) this.#out.end();
    } catch {
      // Gone already: nothing to end.
    }
    for (const callback of this.#onClose.splice(0)) callback();
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
    if (this.#closed) return false;
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
