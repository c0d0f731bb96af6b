import { PlatError } from '@plat/core';

/** restic's failures as reasons a user can act on: pure, from what restic and its ssh printed. */

/** What ssh says when it cannot reach the host at all. */
const UNREACHABLE = new RegExp(
  [
    'Connection refused',
    'Connection timed out',
    'No route to host',
    'Could not resolve hostname',
    'Name or service not known',
    'Network is unreachable',
    'Connection closed by',
    'Connection reset',
  ].join('|'),
  'i',
);

export type ResticFailureKind =
  | 'wrong_password'
  | 'no_repository'
  | 'repository_exists'
  | 'unreachable'
  | 'key_refused'
  | 'host_key_changed'
  | 'locked'
  | 'timeout'
  | 'other';

/** Why restic failed, from what it printed: a reason a user can act on. Pure. */
export function resticFailure(output: string, timedOut = false): { kind: ResticFailureKind; reason: string } {
  const text = output.replace(/\s+/g, ' ');
  const last = (text.match(/Fatal: .*$/)?.[0] ?? text).trim().slice(0, 300);
  if (timedOut) return { kind: 'timeout', reason: 'restic did not finish in time (is the target slow or hanging?)' };
  if (/wrong password or no key found/i.test(text))
    return { kind: 'wrong_password', reason: 'wrong password for the repository at the target' };
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/i.test(text))
    return {
      kind: 'host_key_changed',
      reason: "the target's SSH host key is not the one platd saw before (see known_hosts in the data dir)",
    };
  if (/Permission denied \(/i.test(text))
    return {
      kind: 'key_refused',
      reason: "the target refused platd's SSH key: add it to the target's authorized_keys (plat backups:target)",
    };
  if (UNREACHABLE.test(text)) {
    const detail = /ssh: (connect to host [^:]+ port \d+: [^.]*?)(?= Fatal|$)|(Could not resolve hostname [^:]+)/.exec(
      text,
    );
    return {
      kind: 'unreachable',
      reason: `the target is unreachable (${(detail?.[1] ?? detail?.[2] ?? 'ssh failed').trim()})`,
    };
  }
  if (/config file already exists|repository master key and config already initialized/i.test(text))
    return {
      kind: 'repository_exists',
      reason: 'a restic repository already exists there: give its password with --password to use it',
    };
  if (
    /Is there a repository at the following location|unable to open config file|repository does not exist/i.test(text)
  )
    return { kind: 'no_repository', reason: 'there is no restic repository at the target' };
  if (/repository is already locked/i.test(text))
    return { kind: 'locked', reason: 'the repository is locked by another restic (it unlocks when that one ends)' };
  if (/unable to start the sftp session|subprocess ssh/i.test(text))
    return { kind: 'unreachable', reason: `the target is unreachable (${last})` };
  return { kind: 'other', reason: last || 'restic failed' };
}

export class ResticError extends PlatError {
  readonly kind: ResticFailureKind;
  constructor(what: string, failure: { kind: ResticFailureKind; reason: string }) {
    super(
      failure.kind === 'wrong_password' || failure.kind === 'repository_exists' || failure.kind === 'no_repository'
        ? 'invalid_params'
        : 'unavailable',
      `${what}: ${failure.reason}`,
    );
    this.kind = failure.kind;
  }
}
