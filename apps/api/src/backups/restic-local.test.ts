/**
 * Debian's restic against a repository in a temp dir (no ssh): make,
 * open, upload one file with tags, apply retention, read it back as a
 * stream, and the reasons for a wrong password and a missing repository.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as restic from './restic.js';
import { parseTargetUrl } from './target-url.js';

const dir = mkdtempSync(join(tmpdir(), 'plat-restic-'));
const repository = (password: string, path = join(dir, 'repo')): restic.Repository => ({
  url: parseTargetUrl(path),
  password,
  ssh: { dir, privateKeyFile: join(dir, 'none'), knownHostsFile: join(dir, 'known_hosts'), publicKey: '' },
  cacheDir: join(dir, 'cache'),
});
const tags = (backup: string) => ({ app: 'shop', addon: 'postgres-calm-1', backup, provider: 'postgres' });

async function read(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(() => {
  writeFileSync(join(dir, 'b001.dump'), Buffer.from('PGDMP first backup'));
  writeFileSync(join(dir, 'b002.dump'), Buffer.from('PGDMP second backup, a little longer'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!existsSync(restic.RESTIC))('restic on a local repository', () => {
  it('makes a repository, uploads files with tags and reads one back', async () => {
    await restic.init(repository('s3cret'));
    await restic.open(repository('s3cret'));
    const first = await restic.backupFile(repository('s3cret'), join(dir, 'b001.dump'), {
      host: 'plat-test',
      group: 'app1.postgres-calm-1',
      tags: tags('b001'),
    });
    expect(first).toMatch(/^[0-9a-f]{8,64}$/);
    const [snapshot] = await restic.snapshots(repository('s3cret'));
    expect(snapshot).toMatchObject({ hostname: 'plat-test', paths: ['/app1.postgres-calm-1.dump'] });
    expect(snapshot!.tags!.sort()).toEqual(['addon=postgres-calm-1', 'app=shop', 'backup=b001', 'provider=postgres']);
    const back = await read(restic.dump(repository('s3cret'), first, 'app1.postgres-calm-1.dump'));
    expect(back.equals(readFileSync(join(dir, 'b001.dump')))).toBe(true);
  });

  it("keeps each day's newest snapshot per add-on", async () => {
    await restic.backupFile(repository('s3cret'), join(dir, 'b002.dump'), {
      host: 'plat-test',
      group: 'app1.postgres-calm-1',
      tags: tags('b002'),
    });
    await restic.forget(repository('s3cret'), { keepDaily: 7, keepWeekly: 4, keepMonthly: 0 });
    const left = await restic.snapshots(repository('s3cret'));
    expect(left.map((s) => s.tags?.find((tag) => tag.startsWith('backup=')))).toEqual(['backup=b002']);
    await restic.check(repository('s3cret'));
  });

  it('says why it cannot open a repository, and fails a dump of a snapshot it does not have', async () => {
    await expect(restic.open(repository('wrong'))).rejects.toMatchObject({
      kind: 'wrong_password',
      id: 'invalid_params',
      message: expect.stringMatching(/wrong password for the repository at the target/),
    });
    await expect(restic.open(repository('s3cret', join(dir, 'nothing')))).rejects.toMatchObject({
      kind: 'no_repository',
    });
    await expect(restic.init(repository('other'))).rejects.toMatchObject({ kind: 'repository_exists' });
    await expect(read(restic.dump(repository('s3cret'), 'deadbeef', 'app1.postgres-calm-1.dump'))).rejects.toThrow(
      /Reading the backup from the target failed/,
    );
  });
});
