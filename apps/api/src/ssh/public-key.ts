import { createHash } from 'node:crypto';
import { PlatError } from '@plat/core';

/**
 * An OpenSSH public key as a user pastes it (`type base64 [comment]`, one
 * line, the form of `~/.ssh/id_ed25519.pub`), checked from its bytes: the
 * type inside the key must be the one named, its parts complete, RSA at
 * least 2048 bits. Nothing else is accepted (no authorized_keys options, no
 * private key), so what is stored can only ever name a key.
 */
export interface PublicKey {
  type: string;
  /** The key's wire form, base64 (canonical: re-encoded from the bytes). */
  body: string;
  /** SHA256:…, exactly as `ssh-keygen -l` prints it. */
  fingerprint: string;
  comment: string;
  bits: number;
}

/** The types a Plat sshd accepts; DSA is gone from OpenSSH, and so from here. */
const KEY_PARTS: Record<string, string[]> = {
  'ssh-ed25519': ['key'],
  'ssh-rsa': ['e', 'n'],
  'ecdsa-sha2-nistp256': ['curve', 'point'],
  'ecdsa-sha2-nistp384': ['curve', 'point'],
  'ecdsa-sha2-nistp521': ['curve', 'point'],
  'sk-ssh-ed25519@openssh.com': ['key', 'application'],
  'sk-ecdsa-sha2-nistp256@openssh.com': ['curve', 'point', 'application'],
};
const MAX_KEY_CHARS = 16 * 1024;
const MIN_RSA_BITS = 2048;

function refuse(reason: string): never {
  throw new PlatError('invalid_params', `Not a usable SSH public key: ${reason}.`);
}

/** Reads SSH wire strings (uint32 length + bytes) until the end; undefined when they do not fit exactly. */
function wireStrings(bytes: Buffer): Buffer[] | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) return undefined;
    const length = bytes.readUInt32BE(at);
    if (at + 4 + length > bytes.length) return undefined;
    parts.push(bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return parts;
}

/** Bits of an SSH mpint (big-endian, a leading zero byte when the top bit is set). */
function mpintBits(value: Buffer): number {
  let start = 0;
  while (start < value.length && value[start] === 0) start += 1;
  if (start === value.length) return 0;
  return (value.length - start - 1) * 8 + (32 - Math.clz32(value[start]!));
}

function bitsOf(type: string, fields: Buffer[]): number {
  if (type.includes('ed25519')) {
    if (fields[0]!.length !== 32) refuse('an ed25519 key is 32 bytes');
    return 256;
  }
  if (type === 'ssh-rsa') return mpintBits(fields[1]!);
  const curve = /nistp(\d+)/.exec(type)![1]!;
  if (fields[0]!.toString('latin1') !== `nistp${curve}`) refuse(`the key's curve is not nistp${curve}`);
  return Number(curve);
}

export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export function parsePublicKey(text: string): PublicKey {
  if (text.length > MAX_KEY_CHARS) refuse(`longer than ${MAX_KEY_CHARS} characters`);
  if (/PRIVATE KEY/.test(text)) refuse('this is a private key; give the .pub file beside it (never share the other)');
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length !== 1) refuse(lines.length === 0 ? 'it is empty' : 'give one key, on one line');
  const [type = '', base64 = '', ...rest] = lines[0]!.trim().split(/[ \t]+/);
  if (!(type in KEY_PARTS)) {
    const known = Object.keys(KEY_PARTS).join(', ');
    refuse(`it must start with its type (${known}), without options, as in ~/.ssh/id_ed25519.pub`);
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) refuse('its body is not base64');
  const blob = Buffer.from(base64, 'base64');
  const parts = wireStrings(blob);
  if (!parts || parts.length === 0) refuse('its body is not an SSH key (truncated or padded)');
  if (parts[0]!.toString('latin1') !== type) refuse(`its body is a ${parts[0]!.toString('latin1')} key, not ${type}`);
  const fields = parts.slice(1);
  if (fields.length !== KEY_PARTS[type]!.length || fields.some((field) => field.length === 0))
    refuse(`its body does not have the parts of a ${type} key`);
  const bits = bitsOf(type, fields);
  if (type === 'ssh-rsa' && bits < MIN_RSA_BITS)
    refuse(`an RSA key of ${bits} bits is too weak (${MIN_RSA_BITS} at least)`);
  const comment = rest.join(' ');
  if (comment.length > 200 || /[\p{Cc}]/u.test(comment))
    refuse('its comment must be one line of at most 200 characters');
  return { type, body: blob.toString('base64'), fingerprint: fingerprintOf(blob), comment, bits };
}
