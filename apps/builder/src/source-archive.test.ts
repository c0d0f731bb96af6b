import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { extract, pack, type Header } from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { archiveSource } from './source.js';
import { buildContext, entryPath, indexSource, resolveInTree } from './source-archive.js';

type Entry = Partial<Header> & Pick<Header, 'name'> & { body?: string };

/** A tar made entry by entry, as a hostile client could (git archive never writes some of these). */
async function tarOf(entries: Entry[]): Promise<Buffer> {
  const out = pack();
  const chunks: Buffer[] = [];
  out.on('data', (chunk) => chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve) => out.on('end', () => resolve()));
  for (const { body, ...header } of entries) {
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error | null) => (error ? reject(error) : resolve());
      if (body === undefined) out.entry(header, done);
      else out.entry(header, body, done);
    });
  }
  out.finalize();
  await ended;
  return Buffer.concat(chunks);
}

async function entriesOf(stream: Readable): Promise<{ name: string; type: string; linkname?: string; body: string }[]> {
  const found: { name: string; type: string; linkname?: string; body: string }[] = [];
  const reader = extract();
  reader.on('entry', (header, body, next) => {
    let text = '';
    body.on('data', (chunk) => (text += (chunk as Buffer).toString()));
    body.on('end', () => {
      found.push({
        name: header.name,
        type: header.type ?? '',
        ...(header.linkname ? { linkname: header.linkname } : {}),
        body: text,
      });
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    reader.on('finish', () => resolve());
    reader.on('error', reject);
  });
  stream.pipe(reader as unknown as NodeJS.WritableStream);
  await done;
  return found;
}

const dir = mkdtempSync(join(tmpdir(), 'plat-archive-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, body: string): Entry => ({ name, type: 'file', body, size: Buffer.byteLength(body) });
const link = (name: string, linkname: string): Entry => ({ name, type: 'symlink', linkname });
const folder = (name: string): Entry => ({ name, type: 'directory' });

describe('entry names', () => {
  it('keeps names inside the tree and refuses the rest', () => {
    expect(entryPath('./app.py')).toBe('app.py');
    expect(entryPath('a//b/./c/')).toBe('a/b/c');
    expect(entryPath('./')).toBe('');
    expect(() => entryPath('/etc/passwd')).toThrow(/is absolute/);
    expect(() => entryPath('a/../../etc')).toThrow(/climbs out/);
    expect(() => entryPath('..')).toThrow(/climbs out/);
  });
});

describe('symlinks resolve inside the tree only', () => {
  const entries = new Map([
    ['d1', { type: 'directory' as const, size: 0 }],
    ['d1/d2', { type: 'directory' as const, size: 0 }],
    ['d1/d2/y', { type: 'symlink' as const, size: 0, linkname: '../..' }],
    ['escape', { type: 'symlink' as const, size: 0, linkname: 'd1/d2/y/../../../etc' }],
    ['abs', { type: 'symlink' as const, size: 0, linkname: '/etc/passwd' }],
    ['loop', { type: 'symlink' as const, size: 0, linkname: 'loop' }],
    ['req.txt', { type: 'file' as const, size: 0 }],
    ['requirements.txt', { type: 'symlink' as const, size: 0, linkname: 'd1/d2/y/req.txt' }],
  ]);

  it('follows a chain of relative links that stays inside', () => {
    expect(resolveInTree(entries, 'requirements.txt')).toBe('req.txt');
    expect(resolveInTree(entries, 'd1/d2/y/d1')).toBe('d1');
  });

  it('refuses a chain that climbs out, an absolute link and a loop', () => {
    expect(resolveInTree(entries, 'escape')).toBeUndefined();
    expect(resolveInTree(entries, 'escape/shadow')).toBeUndefined();
    expect(resolveInTree(entries, 'abs')).toBeUndefined();
    expect(resolveInTree(entries, 'loop')).toBeUndefined();
  });
});

describe('indexing a pushed tree', () => {
  it('refuses an entry named twice (a malformed git tree), absolute and climbing names', async () => {
    const twice = await tarOf([file('Procfile', 'web: a\n'), link('Procfile', '/etc/shadow')]);
    await expect(indexSource(Readable.from([twice]))).rejects.toThrow(/"Procfile" appears twice/);
    await expect(indexSource(Readable.from([await tarOf([file('../x', 'x')])]))).rejects.toThrow(/climbs out/);
    await expect(indexSource(Readable.from([await tarOf([file('/x', 'x')])]))).rejects.toThrow(/absolute/);
  });

  it('bounds the entries it keeps', async () => {
    const many = await tarOf([file('a', '1'), file('b', '2'), file('c', '3')]);
    await expect(indexSource(Readable.from([many]), { readBytes: 10, maxEntries: 2 })).rejects.toThrow(
      /over 2 entries/,
    );
  });

  it('drops hard links and devices, keeps the text of small files near the root', async () => {
    const tar = await tarOf([
      file('Procfile', 'web: gunicorn app:app\n'),
      folder('pkg'),
      file('pkg/deep/far.py', 'x = 1\n'),
      { name: 'hard', type: 'link', linkname: 'Procfile' },
      { name: 'dev', type: 'character-device', devmajor: 1, devminor: 5 },
    ]);
    const index = await indexSource(Readable.from([tar]));
    expect([...index.entries.keys()].sort()).toEqual(['Procfile', 'pkg', 'pkg/deep/far.py']);
    expect(index.entries.get('Procfile')?.content?.toString()).toBe('web: gunicorn app:app\n');
    expect(index.entries.get('pkg/deep/far.py')?.content).toBeUndefined();
  });

  it('reads through in-tree links and refuses links that leave the tree or files too large', async () => {
    const tar = await tarOf([
      file('reqs.txt', 'flask\n'),
      link('requirements.txt', 'reqs.txt'),
      folder('d1'),
      folder('d1/d2'),
      link('d1/d2/y', '../..'),
      link('Procfile', 'd1/d2/y/../../../etc/passwd'),
      link('package.json', '/dev/zero'),
      file('static.json', 'x'.repeat(2048)),
    ]);
    const source = archiveSource(await indexSource(Readable.from([tar])), { readBytes: 1024, maxEntries: 100 });
    expect(source.read('requirements.txt')).toBe('flask\n');
    expect(source.has('requirements.txt')).toBe(true);
    expect(() => source.read('Procfile')).toThrow(/Procfile is a symbolic link that leads out of the app's tree/);
    expect(() => source.has('package.json')).toThrow(/leads out of the app's tree/);
    expect(() => source.read('static.json')).toThrow(/static.json is over 1 KB/);
    expect(source.files()).toEqual(['reqs.txt', 'static.json']);
  });

  it('says so when a file platd reads links deeper than it keeps', async () => {
    const tar = await tarOf([
      folder('config'),
      folder('config/deploy'),
      file('config/deploy/Procfile', 'web: x\n'),
      link('Procfile', 'config/deploy/Procfile'),
    ]);
    const source = archiveSource(await indexSource(Readable.from([tar])));
    expect(() => source.read('Procfile')).toThrow(
      'Procfile links to config/deploy/Procfile, deeper in the tree than Plat reads',
    );
  });
});

describe('the build context', () => {
  it("replaces whatever the push put at the builder's own paths, keeping links as links", async () => {
    const tar = await tarOf([
      folder('d1'),
      folder('d1/d2'),
      link('d1/d2/y', '../..'),
      link('.plat-build', `d1/d2/y/../../..${dir}`),
      file('.plat-build/Dockerfile', 'FROM evil'),
      file('.dockerignore', 'node_modules\n'),
      file('app.py', 'print(1)\n'),
      link('leak', '/etc/hostname'),
    ]);
    const tarFile = join(dir, 'source.tar');
    writeFileSync(tarFile, tar);
    const index = await indexSource(Readable.from([tar]));
    const context = await entriesOf(
      buildContext(tarFile, index, {
        '.plat-build/Dockerfile': { content: 'FROM plat/stack' },
        '.dockerignore': { content: 'node_modules\n!.plat-build\n' },
      }),
    );
    const byName = new Map(context.map((entry) => [entry.name, entry]));
    expect(byName.get('.plat-build')).toMatchObject({ type: 'directory' });
    expect(byName.get('.plat-build/Dockerfile')).toMatchObject({ type: 'file', body: 'FROM plat/stack' });
    expect(byName.get('.dockerignore')?.body).toBe('node_modules\n!.plat-build\n');
    expect(byName.get('leak')).toMatchObject({ type: 'symlink', linkname: '/etc/hostname', body: '' });
    expect(byName.get('app.py')?.body).toBe('print(1)\n');
    expect(context.filter((entry) => entry.name.startsWith('.plat-build'))).toHaveLength(2);
    // Nothing was written next to the tar, let alone through the link.
    expect(readdirSync(dir)).toEqual(['source.tar']);
  });
});
