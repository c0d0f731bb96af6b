/**
 * Backups kept off the server: an OpenSSH server this test runs on
 * loopback (its own config, host key and authorized_keys in a temp dir) is
 * the sftp target. Set through the real `plat` against a real platd;
 * uploads checked in the repository with restic itself; a wrong password
 * changes nothing; with sshd stopped an upload fails with its reason and
 * the local file stays, and it goes up once sshd is back and retried; a
 * backup whose local file is gone is still listed and restores from the
 * target into a new add-on.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipePsql } from './support/backup-session.js';
import { startPlatd, type Platd } from './support/platd.js';
import { freePort } from './support/ports.js';
import { run } from './support/run.js';
import { until } from './support/until.js';

let platd: Platd;
let dir: string;
let sshPort: number;
let sshd: ChildProcess | undefined;
let sshdLog = '';
let appId: string;
let password: string;
let database: string;
const APP = 'vault-app';
const plat = (args: string[]) => platd.plat([...args]);
const repoPath = () => join(dir, 'repo');
const targetUrl = () => `sftp://root@127.0.0.1:${sshPort}${repoPath()}`;

/** Debian's sshd on loopback: root by key only, sftp in-process, everything in the temp dir. */
async function startSshd(): Promise<void> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  sshdLog = '';
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  sshd = child;
  child.stdout!.on('data', (chunk: Buffer) => (sshdLog += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (sshdLog += chunk));
  await until(
    `sshd listening on ${sshPort}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`sshd exited: ${sshdLog}`);
      return sshdLog.includes('Server listening');
    },
    10_000,
  );
}

async function stopSshd(): Promise<void> {
  const child = sshd;
  sshd = undefined;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

interface TargetInfo {
  target: null | {
    url: string;
    created_at: string;
    keep_daily: number;
    keep_weekly: number;
    uploads: {
      uploaded: number;
      expired: number;
      pending: number;
      failed: number;
      last_uploaded_at: string | null;
      last_failure: { app: string; backup: string; reason: string } | null;
    };
  };
  ssh_public_key: string;
}

async function targetInfo(): Promise<TargetInfo> {
  const shown = await plat(['backups:target', '--json']);
  expect(shown.code, shown.output).toBe(0);
  return JSON.parse(shown.stdout) as TargetInfo;
}

/** restic itself, as an admin would run it with the password and platd's key. */
async function resticHere(args: string[]): Promise<string> {
  const key = join(platd.dataDir, 'backup-ssh', 'id_ed25519');
  const ssh =
    `/usr/bin/ssh -F /dev/null -i ${key} -o IdentitiesOnly=yes -o UserKnownHostsFile=${join(dir, 'known_hosts')} ` +
    `-o StrictHostKeyChecking=accept-new -o BatchMode=yes -p ${sshPort} -l root -s -- 127.0.0.1 sftp`;
  const restic = () =>
    run(
      '/usr/bin/restic',
      ['--repo', `sftp:root@127.0.0.1:${repoPath()}`, '--option', `sftp.command=${ssh}`, '--no-cache', ...args],
      { env: { PATH: '/usr/bin:/bin', HOME: dir, RESTIC_PASSWORD: password } },
    );
  // platd's retention (forget --prune) may hold the repository's exclusive lock right after an upload; Debian's
  // restic 0.14 has no --retry-lock, so the admin's command is run again once that lock is gone.
  let result = await restic();
  if (result.output.includes('already locked exclusively'))
    await until('platd to release the repository lock', async () => {
      result = await restic();
      return !result.output.includes('already locked exclusively');
    });
  expect(result.code, result.output).toBe(0);
  return result.stdout;
}

/** SQL through `plat pg:psql ADDON`, as a user would pipe it; its output. */
const psql = async (addon: string, text: string) => (await pipePsql(platd, { app: APP, addon, text })).output;

interface ListedBackup {
  id: string;
  verification: { state: string };
  upload: { state: string; snapshot?: string } | null;
}

async function pgBackups(): Promise<ListedBackup[]> {
  const listed = await plat(['pg:backups', '-a', APP, '--json']);
  expect(listed.code, listed.output).toBe(0);
  return JSON.parse(listed.stdout) as ListedBackup[];
}

function localDumps(): string[] {
  const backups = join(platd.dataDir, 'backups', appId);
  return existsSync(backups) ? readdirSync(backups).filter((name) => name.endsWith('.dump')) : [];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plat-backup-target-'));
  sshPort = await freePort();
  const made = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  expect(made.code, made.output).toBe(0);
  writeFileSync(join(dir, 'authorized_keys'), '', { mode: 0o600 });
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `ListenAddress 127.0.0.1:${sshPort}`,
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      // The temp dir is under /tmp, which StrictModes would refuse.
      'StrictModes no',
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'),
  );
  await startSshd();
  platd = await startPlatd();
  expect((await plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  const created = await plat(['apps:create', APP, '--no-remote', '--json']);
  expect(created.code, created.output).toBe(0);
  appId = JSON.parse(created.stdout).id;
  const addon = await plat(['addons:create', 'postgres', '-a', APP, '--json']);
  expect(addon.code, addon.output).toBe(0);
  database = JSON.parse(addon.stdout).name;
});

afterAll(async () => {
  await stopSshd();
  await platd?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('backups:target', () => {
  it("shows platd's SSH key before a target is set, and refuses targets it does not understand", async () => {
    const info = await targetInfo();
    expect(info.target).toBeNull();
    expect(info.ssh_public_key).toMatch(/^ssh-ed25519 \S+ plat-backups@/);
    writeFileSync(join(dir, 'authorized_keys'), `${info.ssh_public_key}\n`);
    const human = await plat(['backups:target']);
    expect(human.stdout).toContain('No backup target is set');
    expect(human.stdout).toContain(info.ssh_public_key);
    for (const bad of ['s3:s3.amazonaws.com/bucket', 'sftp:root@-oProxyCommand=touch:/x', 'relative/dir']) {
      const refused = await plat(['backups:target:set', bad]);
      expect(refused.code, refused.output).not.toBe(0);
      expect(refused.stderr).toMatch(/sftp:user@host:\/path/);
    }
    expect((await targetInfo()).target).toBeNull();
  });

  it('makes the repository, shows its password once, and uploads the backups there', async () => {
    const captured = await plat(['pg:backups:capture', '-a', APP, '--json']);
    expect(captured.code, captured.output).toBe(0);
    const set = await plat(['backups:target:set', targetUrl(), '--keep-daily', '7', '--keep-weekly', '4']);
    expect(set.code, set.output).toBe(0);
    expect(set.stdout).toContain(`Backups are now copied to ${targetUrl()}`);
    expect(set.stdout).toContain('7 daily, 4 weekly per add-on');
    expect(set.stdout).toContain('Shown only now');
    password = set.stdout.split('\n')[set.stdout.split('\n').findIndex((l) => l.includes('Repository password')) + 1]!;
    expect(password).toMatch(/^[\w-]{32}$/);
    // Not stored anywhere a user reads again.
    expect((await plat(['backups:target'])).stdout).not.toContain(password);

    const uploaded = await until('b001 on the target', async () => {
      const info = await targetInfo();
      return info.target?.uploads.uploaded === 1 && info.target;
    });
    expect(uploaded.uploads).toMatchObject({ failed: 0, pending: 0, last_failure: null });
    const [snapshot, ...others] = JSON.parse(await resticHere(['snapshots', '--json'])) as {
      short_id: string;
      tags: string[];
      paths: string[];
    }[];
    expect(others).toEqual([]);
    expect(snapshot!.tags.sort()).toEqual(
      [`app=${APP}`, expect.stringMatching(/^addon=postgres-/), 'backup=b001', 'provider=postgres'].sort(),
    );
    // The dump on the target is the local file, byte for byte.
    const [local] = localDumps();
    await resticHere(['restore', snapshot!.short_id, '--target', join(dir, 'restored')]);
    const restored = readFileSync(join(dir, 'restored', snapshot!.paths[0]!));
    expect(restored.equals(readFileSync(join(platd.dataDir, 'backups', appId, local!)))).toBe(true);
    expect(restored.subarray(0, 5).toString()).toBe('PGDMP');
  });

  it('refuses a wrong password with a clear message and changes nothing', async () => {
    const before = await targetInfo();
    const refused = await plat(['backups:target:set', targetUrl(), '--password', 'not-the-password']);
    expect(refused.code, refused.output).not.toBe(0);
    expect(refused.stderr).toMatch(/wrong password for the repository at the target/);
    expect(await targetInfo()).toEqual(before);
  });

  it('fails an upload with its reason while the target is down, keeps the file, and uploads it later', async () => {
    await stopSshd();
    const captured = await plat(['pg:backups:capture', '-a', APP, '--json']);
    expect(captured.code, captured.output).toBe(0);
    const retried = await plat(['backups:target:retry']);
    expect(retried.code, retried.output).toBe(0);
    const failed = await until('b002 failed', async () => {
      const info = await targetInfo();
      return info.target?.uploads.failed === 1 && info.target;
    });
    expect(failed.uploads.last_failure).toEqual({
      app: APP,
      backup: 'b002',
      reason: expect.stringMatching(
        /^the target is unreachable \(connect to host 127\.0\.0\.1 port \d+: Connection refused\)/,
      ),
    });
    expect((await plat(['backups:target'])).stdout).toMatch(
      /Failed: +1; newest: vault-app b002: the target is unreachable/,
    );
    expect(localDumps()).toHaveLength(2);
    const logs = await plat(['logs', '-a', APP, '-n', '50', '--source', 'plat']);
    expect(logs.stdout).toMatch(/upload failed: the target is unreachable/);

    await startSshd();
    expect((await plat(['backups:target:retry'])).stdout).toContain('Uploading 1 backup(s) now');
    // Retention runs after the upload: --keep-daily keeps the newest of each day, so b002 replaces b001 there.
    const done = await until('b002 on the target and b001 expired by retention', async () => {
      const info = await targetInfo();
      return info.target?.uploads.uploaded === 1 && info.target.uploads.expired === 1 && info.target;
    });
    expect(done.uploads).toMatchObject({ failed: 0, pending: 0, last_failure: null });
    const tags = (JSON.parse(await resticHere(['snapshots', '--json'])) as { tags: string[] }[]).map((s) =>
      s.tags.find((tag) => tag.startsWith('backup=')),
    );
    expect(tags).toEqual(['backup=b002']);
    expect((await plat(['backups:target'])).stdout).toMatch(
      /On target: +1 backup\(s\) \(1 more removed by retention\)/,
    );
    expect(localDumps()).toHaveLength(2);
  });

  it('restores from the target into a new add-on once the local file is gone', async () => {
    await psql(
      database,
      'create table items (id serial primary key, name text);' +
        "insert into items (name) select 'item ' || i from generate_series(1, 1500) i;" +
        "create table notes (body text); insert into notes values ('a'), ('b'), ('c');\n",
    );
    const before = new Set(localDumps());
    const captured = await plat(['pg:backups:capture', '-a', APP, '--json']);
    expect(captured.code, captured.output).toBe(0);
    const backup = JSON.parse(captured.stdout) as ListedBackup;
    expect(backup.verification).toMatchObject({ state: 'verified', tables: 2, rows: 1503 });
    const [file, ...others] = localDumps().filter((name) => !before.has(name));
    expect(others).toEqual([]);
    await until(`${backup.id} uploaded`, async () => {
      const listed = (await pgBackups()).find((b) => b.id === backup.id);
      return listed?.upload?.state === 'uploaded';
    });

    // As pruning does once a backup is off the server: the file goes, the row stays.
    rmSync(join(platd.dataDir, 'backups', appId, file!));
    const listed = (await pgBackups()).find((b) => b.id === backup.id);
    expect(listed).toMatchObject({ verification: { state: 'verified' }, upload: { state: 'uploaded' } });
    const human = await plat(['pg:backups', '-a', APP]);
    expect(human.stdout).toMatch(new RegExp(`^${backup.id} .*verified .*uploaded \\d{4}-\\d{2}-\\d{2}`, 'm'));
    // Checked again on demand, from the copy on the target.
    const verified = await plat(['pg:backups:verify', backup.id, '-a', APP]);
    expect(verified.code, verified.output).toBe(0);
    expect((await pgBackups()).find((b) => b.id === backup.id)).toMatchObject({
      verification: { state: 'verified', tables: 2, rows: 1503 },
    });

    const made = await plat(['addons:create', 'postgres', '-a', APP, '--as', 'RESTORED_DATABASE', '--json']);
    expect(made.code, made.output).toBe(0);
    const into = JSON.parse(made.stdout).name as string;
    const restored = await plat(['pg:backups:restore', backup.id, into, '-a', APP, '--confirm', APP]);
    expect(restored.code, restored.output).toBe(0);
    const query =
      "select count(*), count(distinct name) from items; select string_agg(body, ',' order by body) from notes;\n";
    const want = await psql(database, query);
    expect(want).toMatch(/1500 \| +1500/);
    expect(want).toMatch(/a,b,c/);
    expect(await psql(into, query)).toBe(want);
  });

  it('unsets the target, leaving its repository as it is', async () => {
    const unset = await plat(['backups:target:unset']);
    expect(unset.code, unset.output).toBe(0);
    expect(unset.stdout).toContain(`no longer copied to ${targetUrl()}`);
    expect((await targetInfo()).target).toBeNull();
    expect(JSON.parse(await resticHere(['snapshots', '--json']))).toHaveLength(1);
  });
});
