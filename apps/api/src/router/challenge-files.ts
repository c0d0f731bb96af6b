/**
 * ACME HTTP-01 answers as files nginx serves on the HTTP port, for every
 * host: `<root>/.well-known/acme-challenge/<token>`. Files, not platd, so the
 * router answers whatever platd is doing. Key authorizations are public by
 * design (the CA fetches them over plain HTTP), so the files are readable by
 * nginx's workers; each is written to a fresh file and renamed into place,
 * and nothing is followed through a link.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { ChallengeStore } from '../certs/acme-order.js';

/** RFC 8555: a token is base64url; anything else never names a file. */
const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

export class ChallengeFiles implements ChallengeStore {
  /** What nginx's `root` is for the challenge location. */
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  get dir(): string {
    return join(this.root, '.well-known', 'acme-challenge');
  }

  #ensureFolders(): void {
    for (const dir of [this.root, join(this.root, '.well-known'), this.dir]) {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      const stat = lstatSync(dir);
      if (!stat.isDirectory()) throw new Error(`${dir} is not a directory; the router answers ACME challenges there`);
      if ((stat.mode & 0o777) !== 0o755) chmodSync(dir, 0o755);
    }
  }

  set(token: string, keyAuthorization: string): void {
    if (!TOKEN.test(token)) throw new Error(`the CA sent a challenge token that is not base64url: ${token}`);
    this.#ensureFolders();
    const temporary = join(this.dir, `.${token}.${randomBytes(6).toString('hex')}.tmp`);
    const fd = openSync(
      temporary,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o644,
    );
    try {
      writeSync(fd, keyAuthorization);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, join(this.dir, token));
  }

  remove(token: string): void {
    if (TOKEN.test(token)) rmSync(join(this.dir, token), { force: true });
  }
}
