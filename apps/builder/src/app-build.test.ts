import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack } from 'tar-fs';
import { extract as tarEntries } from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { labelEveryLayer } from './app-build.js';

const dir = mkdtempSync(join(tmpdir(), 'plat-context-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the build context', () => {
  it('keeps a symlink out of the tree as a link, never the file it points at', async () => {
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'app.py'), 'print(1)\n');
    symlinkSync('/etc/hostname', join(dir, 'src', 'leak'));
    const entries: { name: string; type: string; size: number }[] = [];
    const reader = tarEntries();
    reader.on('entry', (header, stream, next) => {
      entries.push({ name: header.name, type: header.type ?? '', size: header.size ?? 0 });
      stream.resume();
      stream.on('end', next);
    });
    const done = new Promise<void>((resolve) => reader.on('finish', () => resolve()));
    pack(dir).pipe(reader);
    await done;
    expect(entries.find((e) => e.name === 'src/leak')).toEqual({ name: 'src/leak', type: 'symlink', size: 0 });
    expect(entries.find((e) => e.name === 'src/app.py')?.type).toBe('file');
  });

  it('labels every layer right after FROM, leaving the rest as it was', () => {
    expect(labelEveryLayer('ARG X\nFROM base\nRUN a\n', { 'plat.instance': 'i1', 'plat.app-id': 'a b' })).toBe(
      'ARG X\nFROM base\nLABEL plat.instance="i1" plat.app-id="a b"\nRUN a\n',
    );
  });
});
