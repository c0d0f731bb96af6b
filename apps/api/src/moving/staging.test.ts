import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ArchiveHeader, entryLimit, renamedTag } from './format.js';
import { stageArchive } from './staging.js';

const header: ArchiveHeader = {
  format: 'plat-export',
  version: 1,
  instance: 'old1',
  data_dir: '/var/lib/plat',
  created_at: '2026-11-29T10:00:00.000Z',
  migrations: ['001_initial.sql'],
  apps: [{ name: 'shop', id: '0b5e3c1a-1111-4222-8333-944455556666', release: 4, images: [], addons: [] }],
};

type Entry = { name: string; data: Buffer; type?: 'file' | 'symlink' };

/** A tar of these entries, then the manifest of their checksums (or `manifest`, when given). */
async function archive(entries: Entry[], manifest?: unknown): Promise<Buffer> {
  const out = pack();
  const sums = entries.map((entry) => ({
    name: entry.name,
    size: entry.data.length,
    sha256: createHash('sha256').update(entry.data).digest('hex'),
  }));
  for (const entry of entries) {
    if (entry.type === 'symlink') out.entry({ name: entry.name, type: 'symlink', linkname: '/etc/passwd' });
    else out.entry({ name: entry.name, mode: 0o600 }, entry.data);
  }
  out.entry({ name: 'manifest.json' }, JSON.stringify(manifest ?? { ...header, entries: sums }));
  out.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of out as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const good = (): Entry[] => [
  { name: 'plat-export.json', data: Buffer.from(JSON.stringify(header)) },
  { name: 'state/state.dump', data: Buffer.from('PGDMP dump bytes') },
];

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'staging-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const stage = (bytes: Buffer, onHeader = async () => {}) =>
  stageArchive(Readable.from([bytes]), mkdtempSync(join(dir, 'stage-')), { maxBytes: 1024 ** 2, onHeader });

describe('stageArchive', () => {
  it('stages every entry of a good archive and checks it against the manifest', async () => {
    const staged = await stage(await archive(good()));
    expect(staged.manifest.apps[0]!.name).toBe('shop');
    expect(readFileSync(staged.file('state/state.dump')!, 'utf8')).toBe('PGDMP dump bytes');
  });

  it('refuses a truncated archive', async () => {
    const bytes = await archive(good());
    await expect(stage(bytes.subarray(0, 1100))).rejects.toThrow(/truncated/);
    // Inside an entry's bytes.
    const big = await archive([...good(), { name: 'images/apps.tar', data: Buffer.alloc(300_000, 7) }]);
    await expect(stage(big.subarray(0, 100_000))).rejects.toThrow(/truncated: it ends inside images\/apps.tar/);
    // Cut at an entry's end: no manifest.
    await expect(stage(bytes.subarray(0, 2048))).rejects.toThrow(/truncated|no manifest/);
  });

  it('refuses an entry whose bytes do not match its checksum', async () => {
    const bytes = await archive(good());
    const at = bytes.indexOf('PGDMP');
    bytes[at + 2] = 'X'.charCodeAt(0);
    await expect(stage(bytes)).rejects.toThrow(/state\/state.dump does not match its checksum/);
  });

  it('refuses unexpected names, links and traversal', async () => {
    for (const entry of [
      { name: '../etc/cron.d/x', data: Buffer.from('x') },
      { name: '/etc/passwd', data: Buffer.from('x') },
      { name: 'repos/shop.bundle', data: Buffer.from(''), type: 'symlink' as const },
      { name: 'repos/../../x.bundle', data: Buffer.from('x') },
    ]) {
      await expect(stage(await archive([...good(), entry]))).rejects.toThrow(/refused/);
    }
    expect(
      entryLimit('backups/0b5e3c1a-1111-4222-8333-944455556666/postgres-word-1234-1764410000000.dump'),
    ).toBeGreaterThan(0);
    // As captures name them now.
    expect(
      entryLimit('backups/0b5e3c1a-1111-4222-8333-944455556666/redis-word-12-0b5e3c1a-1111-4222-8333-944455556666.rdb'),
    ).toBeGreaterThan(0);
    expect(entryLimit('backups/0b5e3c1a-1111-4222-8333-944455556666/redis-word-12-x.rdb')).toBeUndefined();
  });

  it('refuses an archive that does not start with its header, and a missing entry', async () => {
    await expect(stage(await archive(good().reverse()))).rejects.toThrow(/does not start with plat-export.json/);
    const sums = [{ name: 'addons/postgres-x-1234.dump', size: 1, sha256: 'aa' }];
    await expect(stage(await archive(good(), { ...header, entries: sums }))).rejects.toThrow(
      /not in its manifest|missing/,
    );
  });

  it('passes the header to onHeader first, and its refusal is the answer', async () => {
    await expect(
      stage(await archive(good()), async () => {
        throw new Error('shop clashes');
      }),
    ).rejects.toThrow('shop clashes');
  });

  it('renames image tags to this instance', () => {
    expect(renamedTag('plat/old1-shop:0b5e3c1a-111', 'old1', 'new2')).toBe('plat/new2-shop:0b5e3c1a-111');
  });
});

describe('stageArchive when the upload goes on after a refusal', () => {
  it('answers with the first refusal, not the size the drained rest reached', async () => {
    const big = await archive([...good(), { name: 'images/apps.tar', data: Buffer.alloc(400_000, 7) }]);
    // As an upload arrives: in chunks, the header long before the bound is reached.
    const chunks = Array.from({ length: Math.ceil(big.length / 16_384) }, (_, i) =>
      big.subarray(i * 16_384, (i + 1) * 16_384),
    );
    const staging = stageArchive(Readable.from(chunks), mkdtempSync(join(dir, 'stage-')), {
      maxBytes: 100_000,
      onHeader: async () => {
        throw new Error('shop clashes');
      },
    });
    await expect(staging).rejects.toThrow('shop clashes');
  });

  it('refuses an archive over the bound and leaves no staged file open', async () => {
    const big = await archive([...good(), { name: 'images/apps.tar', data: Buffer.alloc(400_000, 7) }]);
    const stageDir = mkdtempSync(join(dir, 'stage-'));
    await expect(
      stageArchive(Readable.from([big]), stageDir, { maxBytes: 100_000, onHeader: async () => {} }),
    ).rejects.toThrow(/larger than this platd takes/);
    // No descriptor of this process still points into the staging folder (a leaked write stream would).
    const open = readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        return [readlinkSync(`/proc/self/fd/${fd}`)];
      } catch {
        return [];
      }
    });
    expect(open.filter((target) => target.startsWith(stageDir))).toEqual([]);
  });
});
