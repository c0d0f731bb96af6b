import { describe, expect, it } from 'vitest';
import { globalArgs, resticFailure, retentionArgs, sshCommand, tagArgs } from './restic.js';
import { parseTargetUrl } from './target-url.js';

const ssh = {
  dir: '/data/backup-ssh',
  privateKeyFile: '/data/backup-ssh/id_ed25519',
  knownHostsFile: '/data/backup-ssh/known_hosts',
  publicKey: 'ssh-ed25519 AAAA plat',
};

describe('restic arguments', () => {
  it('applies the retention policy by its non-zero counts', () => {
    expect(retentionArgs({ keepDaily: 7, keepWeekly: 4, keepMonthly: 0 })).toEqual([
      '--keep-daily',
      '7',
      '--keep-weekly',
      '4',
    ]);
    expect(retentionArgs({ keepDaily: 0, keepWeekly: 0, keepMonthly: 12 })).toEqual(['--keep-monthly', '12']);
    expect(() => retentionArgs({ keepDaily: 0, keepWeekly: 0, keepMonthly: 0 })).toThrow(/at least one/);
  });

  it("runs ssh with platd's key, its known_hosts, no prompts and a connect timeout", () => {
    const url = parseTargetUrl('sftp://backup@vault.example.com:2222/srv/plat');
    if (url.kind !== 'sftp') throw new Error('sftp expected');
    expect(sshCommand(url, ssh).split(' ')).toEqual([
      '/usr/bin/ssh',
      '-F',
      '/dev/null',
      '-i',
      '/data/backup-ssh/id_ed25519',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'UserKnownHostsFile=/data/backup-ssh/known_hosts',
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=10',
      '-o',
      'ServerAliveInterval=15',
      '-o',
      'ServerAliveCountMax=4',
      '-p',
      '2222',
      '-l',
      'backup',
      '-s',
      '--',
      'vault.example.com',
      'sftp',
    ]);
    const args = globalArgs({ url, password: 'secret', ssh, cacheDir: '/data/restic-cache' });
    expect(args.slice(0, 3)).toEqual(['--repo', 'sftp:backup@vault.example.com:/srv/plat', '--option']);
    expect(args[3]).toMatch(/^sftp\.command=\/usr\/bin\/ssh /);
    expect(args.slice(4)).toEqual(['--cache-dir', '/data/restic-cache']);
    // The password never reaches argv.
    expect(args.join(' ')).not.toContain('secret');
  });

  it('refuses a key path restic would split', () => {
    const url = parseTargetUrl('sftp:u@h:/srv');
    if (url.kind !== 'sftp') throw new Error('sftp expected');
    expect(() => sshCommand(url, { ...ssh, privateKeyFile: '/data dir/id' })).toThrow(/cannot be part/);
  });

  it('tags a snapshot with the app, add-on, backup and provider', () => {
    expect(tagArgs({ app: 'shop', addon: 'postgres-calm-1', backup: 'b003', provider: 'postgres' })).toEqual([
      '--tag',
      'app=shop',
      '--tag',
      'addon=postgres-calm-1',
      '--tag',
      'backup=b003',
      '--tag',
      'provider=postgres',
    ]);
    expect(() => tagArgs({ app: 'a,b', addon: 'x', backup: 'b1', provider: 'p' })).toThrow();
  });
});

describe("restic's failures, as reasons", () => {
  it.each([
    ['Fatal: wrong password or no key found\n', 'wrong_password', /wrong password/],
    [
      'subprocess /usr/bin/ssh: ssh: connect to host 127.0.0.1 port 42222: Connection refused\n' +
        'Fatal: unable to open repository at sftp:root@127.0.0.1:/x: unable to start the sftp session, error: EOF\n',
      'unreachable',
      /unreachable \(connect to host 127\.0\.0\.1 port 42222: Connection refused\)/,
    ],
    [
      'subprocess /usr/bin/ssh: ssh: Could not resolve hostname vault.invalid: Name or service not known\nFatal: ...',
      'unreachable',
      /unreachable \(Could not resolve hostname vault\.invalid/,
    ],
    [
      // restic can exit before it copies its ssh's words: the reason is then restic's (platd probes the port).
      'Fatal: unable to open repository at sftp:root@127.0.0.1:/x: unable to start the sftp session, ' +
        'error: read |0: file already closed\n',
      'unreachable',
      /^the target is unreachable \(Fatal: unable to open repository/,
    ],
    [
      'subprocess /usr/bin/ssh: root@127.0.0.1: Permission denied (publickey).\nFatal: unable to open repository',
      'key_refused',
      /authorized_keys/,
    ],
    [
      'Fatal: unable to open config file: Lstat: file does not exist\n' +
        'Is there a repository at the following location?\n',
      'no_repository',
      /no restic repository/,
    ],
    ['Fatal: create repository at /x failed: config file already exists\n', 'repository_exists', /--password/],
    [
      '@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\nHost key verification failed.',
      'host_key_changed',
      /host key/,
    ],
    ['Fatal: unable to create lock in backend: repository is already locked by PID 1', 'locked', /locked/],
    ['Fatal: something new', 'other', /^Fatal: something new$/],
  ])('%j', (output, kind, reason) => {
    const failure = resticFailure(output);
    expect(failure.kind).toBe(kind);
    expect(failure.reason).toMatch(reason);
  });

  it('says when restic ran out of time', () => {
    expect(resticFailure('', true)).toEqual({ kind: 'timeout', reason: expect.stringMatching(/did not finish/) });
  });
});
