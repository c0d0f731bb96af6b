import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, FrameKind } from './attach-frames.js';

describe('attach frames', () => {
  it('round-trip, however the bytes are split', () => {
    const bytes = Buffer.concat([
      encodeFrame(FrameKind.stdout, 'hello\n'),
      encodeFrame(FrameKind.stderr, Buffer.from([0, 1, 2])),
      encodeFrame(FrameKind.exit, '7'),
    ]);
    const decoder = new FrameDecoder();
    const frames = [];
    for (let i = 0; i < bytes.length; i += 3) frames.push(...decoder.push(bytes.subarray(i, i + 3)));
    expect(frames.map((f) => [f.kind, f.payload.toString('hex')])).toEqual([
      [FrameKind.stdout, Buffer.from('hello\n').toString('hex')],
      [FrameKind.stderr, '000102'],
      [FrameKind.exit, Buffer.from('7').toString('hex')],
    ]);
  });
});
