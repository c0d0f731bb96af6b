/**
 * The framing of `plat run` sessions after the HTTP upgrade. The server
 * sends frames: one byte of kind, four bytes of length (big-endian), then
 * the payload; the client sends its stdin as raw bytes.
 */
export const ATTACH_PROTOCOL = 'plat-attach';

export const FrameKind = { stdout: 1, stderr: 2, exit: 3, error: 4 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export function encodeFrame(kind: FrameKind, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([frameHead(kind, body.length), body]);
}

/** A frame's head: its kind and its payload's length, for a payload written after it as it is. */
export function frameHead(kind: FrameKind, length: number): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(kind, 0);
  head.writeUInt32BE(length, 1);
  return head;
}

export class FrameDecoder {
  #buffer = Buffer.alloc(0);

  /** Feeds bytes in; returns the frames they complete. */
  push(chunk: Buffer): { kind: FrameKind; payload: Buffer }[] {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    const frames: { kind: FrameKind; payload: Buffer }[] = [];
    while (this.#buffer.length >= 5) {
      const length = this.#buffer.readUInt32BE(1);
      if (this.#buffer.length < 5 + length) break;
      frames.push({ kind: this.#buffer.readUInt8(0) as FrameKind, payload: this.#buffer.subarray(5, 5 + length) });
      this.#buffer = this.#buffer.subarray(5 + length);
    }
    return frames;
  }
}
