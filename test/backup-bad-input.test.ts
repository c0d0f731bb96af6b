/**
 * Bad input around backups and exports (issue 21), as a user meets it: a
 * scratch server that cannot start fails the check with a clear reason and
 * keeps the backup; a disk too small for `plat admin:export` refuses it
 * before a byte is written, and one that fills mid-way (ENOSPC, a small
 * tmpfs as FILE's disk) removes the partial file. Nothing there before is
 * lost, and no scratch container or staged entry outlives either.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './support/run.js';
import { listScratch, pipePsql } from './support/backup-session.js';
import { startPlatd, type Platd } from './support/platd.js';
import { until } from './support/until.js';

let platd: Platd;
let database: string;
/** FILE's disk: a 4 MB tmpfs, smaller than the add-on's data; `keep` was there before. */
let small: string;
let mounted = false;
const keep = { name: 'keep.txt', text: 'written before any export\n' };
const APP = 'brittle';
const plat = (args: string[]) => platd.plat([...args, '-a', APP]);
const docker = new Docker();

/** SQL through `plat pg:psql`, as a user would pipe it. */
const psql = async (text: string, timeoutMs = 120_000) => (await pipePsql(platd, { app: APP, text, timeoutMs })).output;
/** Containers of this platd's backup checks. */
const scratchObjects = () => listScratch(docker, platd.instance);

/** What platd staged for exports in its data dir: nothing once one is over. */
function staged(): string[] {
  const dir = join(platd.dataDir, 'tmp');
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? readdirSync(join(dir, entry.name)).map((name) => `${entry.name}/${name}`) : [entry.name],
  );
}

function free(dir: string): number {
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
}

beforeAll(async () => {
  // A 1 MB tmpfs for the scratch server: its initdb cannot even start in it.
  platd = await startPlatd({ env: { PLAT_BACKUP_CHECK_DISK_MB: '1', PLAT_BACKUP_CHECK_TIMEOUT_S: '120' } });
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  expect((await platd.plat(['apps:create', APP])).code).toBe(0);
  const created = await plat(['addons:create', 'postgres', '--json']);
  expect(created.code, created.output).toBe(0);
  database = JSON.parse(created.stdout).name;
  // About 13 MB of hex, some 7 MB as a compressed dump: more than the 4 MB disk below holds.
  await psql(
    'create table notes (id int primary key, body text);' +
      "insert into notes select i, md5(i::text) || md5('x' || i) from generate_series(1, 200000) i;\n",
  );
  small = mkdtempSync(join(tmpdir(), 'plat-small-disk-'));
  const mount = await run('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', small]);
  expect(mount.code, mount.output).toBe(0);
  mounted = true;
  writeFileSync(join(small, keep.name), keep.text);
}, 300_000);

afterAll(async () => {
  if (process.env.DEBUG_BACKUPS) console.log(platd?.output().slice(-6000));
  if (mounted) {
    const unmounted = await run('umount', [small]);
    if (unmounted.code !== 0) console.error(`umount ${small}: ${unmounted.output}`);
  }
  if (small) rmSync(small, { recursive: true, force: true });
  await platd?.destroy();
}, 180_000);

describe('an export onto a full disk', () => {
  it('stops when the disk fills mid-way, removing the partial file and keeping what was there', async () => {
    const before = free(small);
    // No backup yet: platd's estimate (the state) fits, the add-on's first dump does not.
    const exported = await platd.plat(['admin:export', join(small, 'plat.tar')]);
    expect(exported.code, exported.output).toBe(1);
    expect(exported.stderr).toMatch(
      new RegExp(
        `The disk ran full while writing the export into ${small} \\(ENOSPC, [\\d.]+ MB written, ` +
          `at least [\\d.]+ MB needed\\): the partial file was removed and nothing was written to ${small}/plat.tar`,
      ),
    );
    expect(readdirSync(small)).toEqual([keep.name]);
    expect(readFileSync(join(small, keep.name), 'utf8')).toBe(keep.text);
    expect(free(small)).toBe(before);
    // platd stops at the closed download (or has sent the rest into the socket) and removes what it staged.
    await until('platd to drop the export it staged', async () => staged().length === 0, 120_000);
  });
});

describe('a backup whose scratch server cannot start', () => {
  it('fails its check with the reason, removes the scratch server and keeps the backup', async () => {
    const captured = await plat(['pg:backups:capture']);
    expect(captured.code, captured.output).toBe(1);
    expect(captured.stdout).toMatch(
      new RegExp(
        `^Backup b001 of ${database} captured \\(\\d+ bytes\\), failed: the scratch server could not start: ` +
          'it ran out of disk \\(1 MB, PLAT_BACKUP_CHECK_DISK_MB\\); the scratch server container exited \\(\\d+\\)',
      ),
    );
    expect(await scratchObjects()).toEqual([]);
    const [backup] = JSON.parse((await plat(['pg:backups', '--json'])).stdout);
    expect(backup.verification).toMatchObject({ state: 'failed', reason: expect.stringContaining('could not start') });
    // The dump is whole, on disk: only its check could not run.
    const root = join(platd.dataDir, 'backups');
    const files = readdirSync(root).flatMap((app) => readdirSync(join(root, app)).map((f) => join(root, app, f)));
    expect(files.map((file) => statSync(file).size)).toEqual([backup.size_bytes]);
    // A re-check ends the same way, never stuck pending.
    const again = await plat(['pg:backups:verify', 'b001']);
    expect(again.code, again.output).toBe(1);
    expect(again.stdout).toMatch(/^Backup b001 of \S+ failed: the scratch server could not start: it ran out of disk/);
    expect(await scratchObjects()).toEqual([]);
    const logs = await plat(['logs', '-n', '50', '--source', 'plat']);
    expect(logs.stdout).toContain(`Backup b001 of ${database} failed: the scratch server could not start`);
    const alerts = JSON.parse((await plat(['alerts', '--json'])).stdout);
    expect(alerts).toContainEqual(
      expect.objectContaining({ kind: 'backup_unverified', subject: database, state: 'open' }),
    );
    expect(await psql('select count(*) from notes;\n')).toMatch(/200000/);
  });
});

describe('an export onto a disk too small for its estimate', () => {
  it('refuses before writing a byte; the same export onto a roomy disk is whole', async () => {
    // The backup's file travels as it is, and the add-on's data is about as large: both count.
    const refused = await platd.plat(['admin:export', join(small, 'plat.tar')]);
    expect(refused.code, refused.output).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `Not enough free disk for the export: [\\d.]+ MB free in ${small}, at least [\\d.]+ MB needed\\. ` +
          'Free some space or name a file on another disk; nothing was written\\.',
      ),
    );
    expect(readdirSync(small)).toEqual([keep.name]);
    await until('platd to drop the export it staged', async () => staged().length === 0, 120_000);
    const roomy = mkdtempSync(join(tmpdir(), 'plat-roomy-'));
    try {
      const exported = await platd.plat(['admin:export', join(roomy, 'plat.tar')]);
      expect(exported.code, exported.output).toBe(0);
      expect(readdirSync(roomy)).toEqual(['plat.tar']);
      expect(statSync(join(roomy, 'plat.tar')).size).toBeGreaterThan(4 * 1024 ** 2);
    } finally {
      rmSync(roomy, { recursive: true, force: true });
    }
  });
});
