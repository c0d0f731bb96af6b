import { StringDecoder } from 'node:string_decoder';
/**
 * Reads Docker's build progress (one JSON message a line) as it streams,
 * keeping nothing but the line being assembled: docker-modem's
 * followProgress keeps every message until the build ends, so a build that
 * prints forever would grow platd without bound. Output past a budget stops
 * the build.
 */

/** Docker sends small messages; anything this long without a newline is not one. */
export const MAX_MESSAGE_BYTES = 1024 ** 2;
/** A printed line longer than this reaches the pusher in pieces. */
export const MAX_LINE_CHARS = 16 * 1024;

interface BuildMessage {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

export function outputExceededMessage(maxOutputBytes: number): string {
  const mb = maxOutputBytes / 1024 ** 2;
  return `Build output exceeded ${Number.isInteger(mb) ? mb : mb.toFixed(2)} MB; the build was stopped`;
}

export class BuildProgress {
  readonly #maxOutputBytes: number;
  readonly #onLine: (line: string) => void;
  #message = '';
  #line = '';
  #outputBytes = 0;
  readonly #decoder = new StringDecoder('utf8');
  imageId: string | undefined;
  /** Why the build failed, once it has; nothing more is read after that. */
  failure: string | undefined;

  constructor(options: { maxOutputBytes: number; onLine: (line: string) => void }) {
    this.#maxOutputBytes = options.maxOutputBytes;
    this.#onLine = options.onLine;
  }

  /** Feeds a chunk of the response; returns false once the build must stop. */
  push(chunk: Buffer | string): boolean {
    if (this.failure) return false;
    // A character cut between two chunks waits in the decoder for its other bytes.
    this.#message += typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    for (let newline = this.#message.indexOf('\n'); !this.failure && newline >= 0; ) {
      const text = this.#message.slice(0, newline).trim();
      this.#message = this.#message.slice(newline + 1);
      if (text !== '') this.#take(text);
      newline = this.#message.indexOf('\n');
    }
    if (!this.failure && this.#message.length > MAX_MESSAGE_BYTES)
      this.failure = 'Docker sent a build message too large to read';
    if (this.failure) this.#message = '';
    return !this.failure;
  }

  /** The stream ended: passes on the last unfinished line. */
  end(): void {
    if (this.#message.trim() !== '' && !this.failure) this.#take(this.#message.trim());
    this.#message = '';
    if (this.#line !== '') this.#onLine(this.#line);
    this.#line = '';
  }

  #take(text: string): void {
    let message: BuildMessage;
    try {
      message = JSON.parse(text) as BuildMessage;
    } catch {
      return;
    }
    if (message.aux?.ID) this.imageId = message.aux.ID;
    if (message.error) this.failure = message.errorDetail?.message ?? message.error;
    if (typeof message.stream === 'string') this.#print(message.stream);
  }

  #print(text: string): void {
    this.#outputBytes += Buffer.byteLength(text);
    if (this.#outputBytes > this.#maxOutputBytes) {
      this.failure = outputExceededMessage(this.#maxOutputBytes);
      return;
    }
    const lines = (this.#line + text).split('\n');
    this.#line = lines.pop() ?? '';
    for (const line of lines) this.#onLine(line.replace(/\r/g, ''));
    while (this.#line.length > MAX_LINE_CHARS) {
      this.#onLine(this.#line.slice(0, MAX_LINE_CHARS));
      this.#line = this.#line.slice(MAX_LINE_CHARS);
    }
  }
}
