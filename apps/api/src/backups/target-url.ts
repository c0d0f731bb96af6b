import { PlatError } from '@plat/core';

/**
 * Where backups go off the server, checked at the edge: an SFTP server
 * (`sftp:user@host:/path`, or `sftp://user@host:port/path` for another port)
 * or an absolute local path (a mounted disk). Nothing else reaches restic:
 * no other backend, nothing that restic or ssh could read as an option.
 */
export type TargetUrl =
  | { kind: 'sftp'; user: string; host: string; port: number; path: string }
  | { kind: 'local'; path: string };

const USER = /^[a-z_][a-z0-9._-]{0,31}$/i;
/** A DNS name or an IPv4 address: letters, digits, dots and hyphens, not starting with a hyphen. */
const HOST = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/i;
/** Plain path characters only: restic splits sftp.command itself, and a path reaches the remote shell. */
const PATH = /^\/[A-Za-z0-9._@+=,/-]{0,1023}$/;
const MAX_URL = 1200;

function invalid(detail: string): PlatError {
  return new PlatError(
    'invalid_params',
    `${detail}. A backup target is sftp:user@host:/path, sftp://user@host:port/path, or an absolute local path.`,
  );
}

function checkPath(path: string): string {
  if (!PATH.test(path)) throw invalid(`The path ${JSON.stringify(path)} must be absolute, in plain characters`);
  if (path.split('/').some((part) => part === '..' || part === '.'))
    throw invalid('The path may not hold "." or ".." parts');
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

function checkUserHost(user: string, host: string): void {
  if (!USER.test(user)) throw invalid(`The user ${JSON.stringify(user)} is not a plain login name`);
  if (!HOST.test(host) || host.includes('..'))
    throw invalid(`The host ${JSON.stringify(host)} is not a host name or IPv4 address`);
}

export function parseTargetUrl(raw: string): TargetUrl {
  const url = raw.trim();
  if (url.length === 0 || url.length > MAX_URL) throw invalid('The target is empty or too long');
  if (url.startsWith('-')) throw invalid('The target may not start with "-"');
  if (url.startsWith('/')) return { kind: 'local', path: checkPath(url) };
  const long = /^sftp:\/\/([^@/]+)@([^:/]+)(?::(\d{1,5}))?(\/.*)$/.exec(url);
  if (long) {
    const [, user, host, port, path] = long as unknown as [string, string, string, string | undefined, string];
    checkUserHost(user, host);
    const number = port === undefined ? 22 : Number(port);
    if (!Number.isInteger(number) || number < 1 || number > 65535) throw invalid(`The port ${port} is out of range`);
    // restic's own sftp:// form puts a path relative to the login's home after one slash; here it is always absolute.
    return { kind: 'sftp', user, host, port: number, path: checkPath(path.replace(/^\/\//, '/')) };
  }
  const short = /^sftp:([^@:/]+)@([^:/]+):(.*)$/.exec(url);
  if (short) {
    const [, user, host, path] = short as unknown as [string, string, string, string];
    checkUserHost(user, host);
    return { kind: 'sftp', user, host, port: 22, path: checkPath(path) };
  }
  if (url.startsWith('sftp:')) throw invalid(`${JSON.stringify(url)} is not an sftp target Plat understands`);
  throw invalid(`${JSON.stringify(url)} is neither an sftp: target nor an absolute path`);
}

/** The URL as Plat stores and shows it (one spelling per target). */
export function formatTargetUrl(target: TargetUrl): string {
  if (target.kind === 'local') return target.path;
  return target.port === 22
    ? `sftp:${target.user}@${target.host}:${target.path}`
    : `sftp://${target.user}@${target.host}:${target.port}${target.path}`;
}

/**
 * The repository as restic is told it. For sftp, restic runs our ssh command
 * (user, host and port are in it), so only the path matters here.
 */
export function resticRepository(target: TargetUrl): string {
  return target.kind === 'local' ? target.path : `sftp:${target.user}@${target.host}:${target.path}`;
}
