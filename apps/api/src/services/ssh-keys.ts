import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlatError, type SshEndpoint, type SshKey } from '@plat/core';
import { runHost } from '@plat/core/host-process';
import type { Platform } from '../platform.js';
import { parsePublicKey, type PublicKey } from '../ssh/public-key.js';
import { deleteSshKey, insertSshKey, listSshKeys, sshKeyHolder, type SshKeyRow } from '../store/ssh-keys.js';
import type { User } from '../store/users.js';

export function presentSshKey(row: SshKeyRow): SshKey {
  return {
    id: row.id,
    type: row.type,
    fingerprint: row.fingerprint,
    comment: row.comment,
    created_at: row.created_at.toISOString(),
    last_used_at: row.last_used_at?.toISOString() ?? null,
  };
}

/** OpenSSH's own reading of the key (what sshd will accept): it must agree with ours on the fingerprint. */
async function checkWithSshKeygen(key: PublicKey): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'plat-key-'));
  try {
    const file = join(dir, 'key.pub');
    writeFileSync(file, `${key.type} ${key.body}\n`, { mode: 0o600 });
    const result = await runHost('ssh-keygen', ['-l', '-E', 'sha256', '-f', file], { timeoutMs: 10_000 });
    const fingerprint = result.stdout.split(/\s+/)[1];
    if (result.code !== 0 || fingerprint !== key.fingerprint)
      throw new PlatError('invalid_params', 'Not a usable SSH public key: OpenSSH cannot read it.');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function userSshKeys(platform: Platform, user: User): Promise<SshKey[]> {
  return (await listSshKeys(platform.sql, user.id)).map(presentSshKey);
}

/** Adds a key to the user's account; a malformed key, or one anybody has registered already, stores nothing. */
export async function addSshKey(platform: Platform, user: User, text: string): Promise<SshKey> {
  const key = parsePublicKey(text);
  await checkWithSshKeygen(key);
  const inserted = await insertSshKey(platform.sql, user.id, key);
  if (!inserted) {
    const holder = await sshKeyHolder(platform.sql, key.fingerprint);
    throw new PlatError(
      'conflict',
      holder?.user_id === user.id
        ? `The key ${key.fingerprint} is already on your account.`
        : `The key ${key.fingerprint} is registered to another account; each key belongs to one user.`,
    );
  }
  await platform.ssh?.keysChanged();
  return presentSshKey(inserted);
}

export async function removeSshKey(platform: Platform, user: User, id: string): Promise<void> {
  if (!(await deleteSshKey(platform.sql, user.id, id)))
    throw new PlatError('not_found', `Couldn't find SSH key ${id} on your account.`);
  await platform.ssh?.keysChanged();
}

/** Where clients reach git over SSH, as seen by a client that reached the API at `host`. */
export function sshEndpoint(platform: Platform, host: string): SshEndpoint {
  const { sshPort } = platform.settings;
  const info = platform.ssh?.info();
  const base = { user: 'git', host, port: sshPort, host_keys: [] };
  if (sshPort === 0)
    return { ...base, enabled: false, running: false, problem: 'git over SSH is off (PLAT_SSH_PORT=0)' };
  if (!info) return { ...base, enabled: true, running: false, problem: 'sshd has not started' };
  return {
    enabled: true,
    running: info.running,
    user: info.user,
    host,
    port: info.port,
    ...(info.problem ? { problem: info.problem } : {}),
    host_keys: info.hostKeys.map((key) => ({
      type: key.type,
      fingerprint: key.fingerprint,
      public_key: key.publicKey,
    })),
  };
}
