import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sshGitUrl, type PlatClient } from '@plat/client';
import type { SshKey } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { readPublicKeyFile, removeKey } from './manage.js';

const key = (id: string, fingerprint: string, comment: string) =>
  ({ id, fingerprint, comment, type: 'ssh-ed25519', created_at: 'x', last_used_at: null }) as SshKey;
const KEYS = [key('k1', 'SHA256:one', 'me@laptop'), key('k2', 'SHA256:two', 'ci'), key('k3', 'SHA256:three', 'ci')];

function context(removed: string[], lines: string[]): CommandContext {
  const client = { keys: { list: async () => KEYS, remove: async (id: string) => void removed.push(id) } };
  return {
    cwd: '/',
    env: {},
    output: { out: (line: string) => void lines.push(line), err: () => {}, isConsole: false },
    client: () => client as unknown as PlatClient,
  } as unknown as CommandContext;
}

describe('plat keys:remove', () => {
  it('removes the key with that fingerprint, or the one key with that comment', async () => {
    const removed: string[] = [];
    const lines: string[] = [];
    await removeKey('SHA256:two', {}, context(removed, lines));
    await removeKey('me@laptop', {}, context(removed, lines));
    expect(removed).toEqual(['k2', 'k1']);
    expect(lines).toEqual(['Removed SSH key SHA256:two', 'Removed SSH key SHA256:one']);
  });

  it('removes nothing when the comment names several keys, or none', async () => {
    const removed: string[] = [];
    await expect(removeKey('ci', {}, context(removed, []))).rejects.toThrow(/2 of your keys have the comment ci/);
    await expect(removeKey('nope', {}, context(removed, []))).rejects.toThrow(/no SSH key with the fingerprint/);
    expect(removed).toEqual([]);
  });
});

describe('plat keys:add', () => {
  it('never sends a private key, and says which file to give instead', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plat-keys-'));
    const secret = join(dir, 'id_ed25519');
    writeFileSync(secret, '-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----\n');
    expect(() => readPublicKeyFile(secret)).toThrow(`give the .pub file beside it, ${secret}.pub`);
    expect(() => readPublicKeyFile(join(dir, 'missing.pub'))).toThrow(/ssh-keygen -t ed25519/);
  });
});

describe('sshGitUrl', () => {
  it('names the port unless it is 22, and brackets IPv6 hosts', () => {
    expect(sshGitUrl({ user: 'git', host: 'plat.example.com', port: 22 }, 'hello')).toBe(
      'ssh://git@plat.example.com/hello.git',
    );
    expect(sshGitUrl({ user: 'git', host: '127.0.0.1', port: 2222 }, 'hello')).toBe(
      'ssh://git@127.0.0.1:2222/hello.git',
    );
    expect(sshGitUrl({ user: 'git', host: '::1', port: 2222 }, 'a')).toBe('ssh://git@[::1]:2222/a.git');
  });
});
