import type { ServerResponse } from 'node:http';

/** Whether the client of a response is gone already (it may leave while a handler awaits, before any listener). */
export function clientGone(out: ServerResponse): boolean {
  return Boolean(out.destroyed || out.socket?.destroyed || out.req?.destroyed || (out.req && !out.socket));
}

/**
 * The ending every live response shares: the text log tail uses it as it
 * is, and SseStream for its own. Closed once the client leaves (even before
 * this was made), when the response errors, or by close(), which ends the
 * response and runs each onClose callback once.
 */
export class ResponseStream {
  readonly #out: ServerResponse;
  readonly #onClose: (() => void)[] = [];
  readonly #ending: (() => void) | undefined;
  #closed = false;

  /** `ending` runs first when it closes, before the response ends (SseStream stops its heartbeat there). */
  constructor(out: ServerResponse, ending?: () => void) {
    this.#out = out;
    this.#ending = ending;
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

  /** Runs once the stream ends, whoever ends it (at once when it has). */
  onClose(callback: () => void): void {
    if (this.#closed) callback();
    else this.#onClose.push(callback);
  }

  /** Forgets a callback that has done its work: a wait that ended by itself leaves nothing behind. */
  offClose(callback: () => void): void {
    const index = this.#onClose.indexOf(callback);
    if (index !== -1) this.#onClose.splice(index, 1);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ending?.();
    try {
      if (!this.#out.writableEnded && !this.#out.destroyed) this.#out.end();
    } catch {
      // Gone already: nothing to end.
    }
    for (const callback of this.#onClose.splice(0)) callback();
  }
}
