import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { afterEach, describe, expect, it } from 'vitest';
import { labelEveryLayer, saveSource } from './app-build.js';

describe('the build', () => {
  it('labels every layer right after FROM, leaving the rest as it was', () => {
    expect(labelEveryLayer('ARG X\nFROM base\nRUN a\n', { 'plat.instance': 'i1', 'plat.app-id': 'a b' })).toBe(
      'ARG X\nFROM base\nLABEL plat.instance="i1" plat.app-id="a b"\nRUN a\n',
    );
  });
});

describe('saving the pushed source', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A tar of one file, whole or cut right after the entry (before its end-of-archive blocks). */
  async function tarOf(whole: boolean): Promise<Buffer> {
    const tar = pack();
    tar.entry({ name: 'app.py' }, 'print("hi")\n');
    const chunks: Buffer[] = [];
    tar.on('data', (chunk) => chunks.push(chunk as Buffer));
    const ended = new Promise<void>((resolve) => tar.on('end', () => resolve()));
    tar.finalize();
    await ended;
    const bytes = Buffer.concat(chunks);
    // The entry is a 512-byte header and one block of data.
    return whole ? bytes : bytes.subarray(0, 1024);
  }

  const fileIn = () => {
    const dir = mkdtempSync(join(tmpdir(), 'plat-save-'));
    dirs.push(dir);
    return join(dir, 'source.tar');
  };

  it('keeps a whole archive as it came', async () => {
    const bytes = await tarOf(true);
    const file = fileIn();
    await saveSource(Readable.from([bytes]), file, 1024 ** 2);
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  it('refuses an archive cut short at an entry boundary, which would otherwise parse', async () => {
    await expect(saveSource(Readable.from([await tarOf(false)]), fileIn(), 1024 ** 2)).rejects.toThrow(
      'The pushed source arrived cut short (no end of archive): nothing was built',
    );
  });

  it('refuses an archive past the size limit', async () => {
    await expect(saveSource(Readable.from([await tarOf(true)]), fileIn(), 1000)).rejects.toThrow('over the 0 MB limit');
  });
});
