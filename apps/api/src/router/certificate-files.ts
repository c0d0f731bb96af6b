/**
 * The certificate files nginx reads, in the router's folder: chains and
 * private keys (0600), each written to a fresh temporary file and renamed
 * into place, so nginx never reads half a file, and never through a link:
 * the folder must be a real directory, temporary files are created with
 * O_EXCL | O_NOFOLLOW, and a rename replaces a link instead of following it.
 * Only nginx's master (root, or platd's user) reads them.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { certificateStem, type RouteCertificate } from './nginx-config.js';

/** The folder, made private if new; refused when it is anything but a directory (a link, a file). */
function ensureFolder(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (!stat.isDirectory()) throw new Error(`${dir} is not a directory; the router keeps certificate files there`);
  if ((stat.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
}

function sameContent(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return false;
  }
  try {
    return readFileSync(fd, 'utf8') === content;
  } finally {
    closeSync(fd);
  }
}

function writeAtomically(dir: string, name: string, content: string): void {
  const path = join(dir, name);
  if (sameContent(path, content)) return;
  const temporary = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const fd = openSync(temporary, flags, 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temporary, path);
}

/** Writes the files of every certificate the routes serve; returns their names. */
export function writeCertificateFiles(dir: string, certificates: readonly RouteCertificate[]): Set<string> {
  ensureFolder(dir);
  const names = new Set<string>();
  for (const certificate of certificates) {
    const stem = certificateStem(certificate);
    writeAtomically(dir, `${stem}.pem`, certificate.chainPem);
    writeAtomically(dir, `${stem}.key`, certificate.keyPem);
    names.add(`${stem}.pem`).add(`${stem}.key`);
  }
  return names;
}

/** Removes the files no route serves any more (and temporary files left by a crash). */
export function pruneCertificateFiles(dir: string, keep: ReadonlySet<string>): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) if (!keep.has(name)) rmSync(join(dir, name), { force: true });
}
