import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PlatError, type SshKey } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { emit } from '../../output.js';
import { ago, table } from '../../present.js';

const MAX_KEY_FILE_BYTES = 16 * 1024;

export function keyTable(keys: SshKey[]): string[] {
  return table(
    ['Fingerprint', 'Type', 'Comment', 'Added', 'Last used'],
    keys.map((k) => [k.fingerprint, k.type, k.comment, ago(k.created_at), ago(k.last_used_at)]),
  );
}

export async function listKeys(options: { json?: boolean }, context: CommandContext): Promise<void> {
  const keys = await context.client().keys.list();
  emit(context.output, options.json, keys, () =>
    keys.length === 0 ? ['You have no SSH keys: add one with plat keys:add'] : keyTable(keys),
  );
}

/** The public key file's text; a private key never leaves this machine. */
export function readPublicKeyFile(path: string): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new PlatError('invalid_params', `No such file: ${path} (make a key with: ssh-keygen -t ed25519)`);
  }
  if (size > MAX_KEY_FILE_BYTES) throw new PlatError('invalid_params', `${path} is too large to be a public key.`);
  const text = readFileSync(path, 'utf8');
  if (/PRIVATE KEY/.test(text))
    throw new PlatError('invalid_params', `${path} is a private key: give the .pub file beside it, ${path}.pub.`);
  return text;
}

export async function addKey(file: string | undefined, options: { json?: boolean }, context: CommandContext) {
  const path = file ? resolve(context.cwd, file) : join(context.env.HOME ?? '', '.ssh', 'id_ed25519.pub');
  const key = await context.client().keys.add(readPublicKeyFile(path));
  emit(context.output, options.json, key, () => [
    `Added SSH key ${key.fingerprint} (${key.type}${key.comment ? `, ${key.comment}` : ''})`,
  ]);
}

/** Removes your key with this fingerprint (or id), or the one key with this comment. */
export async function removeKey(which: string, _options: object, context: CommandContext): Promise<void> {
  const client = context.client();
  const keys = await client.keys.list();
  const exact = keys.filter((k) => k.fingerprint === which || k.id === which);
  const matches = exact.length > 0 ? exact : keys.filter((k) => k.comment === which);
  if (matches.length === 0)
    throw new PlatError('not_found', `You have no SSH key with the fingerprint or comment ${which} (plat keys).`);
  if (matches.length > 1)
    throw new PlatError(
      'invalid_params',
      `${matches.length} of your keys have the comment ${which}: remove one by its fingerprint (plat keys).`,
    );
  await client.keys.remove(matches[0]!.id);
  context.output.out(`Removed SSH key ${matches[0]!.fingerprint}`);
}
