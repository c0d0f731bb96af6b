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

/**
 * A Server-Sent Events response on a hijacked reply: headers, a heartbeat
 * comment every HEARTBEAT_MS, and writes that refuse (false) once the client
 * has more than `maxBuffered` bytes unread, so the caller drops it.
 */
export class SseStream {
  readonly #out: ServerResponse;
  readonly #maxBuffered: number;
  readonly #heartbeat: NodeJS.Timeout;
  #closed = false;
  readonly #onClose: (() => void)[] = [];

  constructor(out: ServerResponse, options: { heartbeatMs?: number; maxBuffered?: number } = {}) {
    this.#out = out;
    this.#maxBuffered = options.maxBuffered ?? MAX_SSE_BUFFER_BYTES;
    out.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      // nginx (the API domain) must pass events on at once.
      'x-accel-buffering': 'no',
    });
    out.write(': connected\n\n');
    this.#heartbeat = setInterval(() => this.#write(': heartbeat\n\n'), options.heartbeatMs ?? HEARTBEAT_MS);
    this.#heartbeat.unref();
    out.on('close', () => this.close());
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

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    if (!this.#out.writableEnded) this.#out.end();
    for (const callback of this.#onClose.splice(0)) callback();
  }

  #write(text: string): boolean {
    if (this.#closed || this.#out.destroyed || this.#out.writableEnded) return false;
    if (this.#out.writableLength + Buffer.byteLength(text) > this.#maxBuffered) return false;
    this.#out.write(text);
    return true;
  }
}
