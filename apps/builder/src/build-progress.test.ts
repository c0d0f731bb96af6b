import { describe, expect, it } from 'vitest';
import { BuildProgress, MAX_LINE_CHARS, outputExceededMessage } from './build-progress.js';

const message = (body: object) => `${JSON.stringify(body)}\r\n`;

function reader(maxOutputBytes = 1024) {
  const lines: string[] = [];
  const progress = new BuildProgress({ maxOutputBytes, onLine: (line) => lines.push(line) });
  return { progress, lines };
}

describe('BuildProgress', () => {
  it('passes printed lines on, however Docker splits its messages, and finds the image id', () => {
    const { progress, lines } = reader();
    const text =
      message({ stream: 'Step 1/2 : FROM plat/stack\n' }) +
      message({ stream: 'hello ' }) +
      message({ stream: 'world\nlast' }) +
      message({ aux: { ID: 'sha256:abc' } });
    for (let i = 0; i < text.length; i += 7) expect(progress.push(Buffer.from(text.slice(i, i + 7)))).toBe(true);
    progress.end();
    expect(lines).toEqual(['Step 1/2 : FROM plat/stack', 'hello world', 'last']);
    expect(progress.imageId).toBe('sha256:abc');
    expect(progress.failure).toBeUndefined();
  });

  it('keeps a character whole when Docker cuts it between two chunks', () => {
    const { progress, lines } = reader();
    const bytes = Buffer.from(message({ stream: 'café ✓\n' }));
    const cut = bytes.indexOf(0xc3) + 1;
    progress.push(bytes.subarray(0, cut));
    progress.push(bytes.subarray(cut));
    progress.end();
    expect(lines).toEqual(['café ✓']);
  });

  it("reports a step's failure", () => {
    const { progress } = reader();
    progress.push(message({ error: 'boom', errorDetail: { message: 'The command returned a non-zero code: 1' } }));
    expect(progress.failure).toBe('The command returned a non-zero code: 1');
  });

  it('stops a build that prints past its budget, and reads nothing after', () => {
    const { progress, lines } = reader(100);
    expect(progress.push(message({ stream: `${'y\n'.repeat(40)}` }))).toBe(true);
    expect(progress.push(message({ stream: `${'y\n'.repeat(20)}` }))).toBe(false);
    expect(progress.failure).toBe(outputExceededMessage(100));
    expect(progress.push(message({ stream: 'more\n' }))).toBe(false);
    expect(lines).toHaveLength(40);
    expect(outputExceededMessage(4 * 1024 ** 2)).toBe('Build output exceeded 4 MB; the build was stopped');
  });

  it('cuts a line that never ends into pieces instead of keeping it', () => {
    const { progress, lines } = reader(1024 ** 2);
    for (let i = 0; i < 10; i += 1) progress.push(message({ stream: 'x'.repeat(MAX_LINE_CHARS / 2) }));
    expect(lines.length).toBeGreaterThanOrEqual(4);
    expect(lines.every((line) => line.length === MAX_LINE_CHARS)).toBe(true);
  });

  it('refuses a message that never ends', () => {
    const { progress } = reader();
    expect(progress.push(`{"stream":"${'z'.repeat(1024 ** 2 + 1)}`)).toBe(false);
    expect(progress.failure).toMatch(/too large/);
  });
});
