import { chmodSync, chownSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Sql } from '../store/database.js';
import { activeSshKeys } from '../store/ssh-keys.js';
import { renderAuthorizedKeys } from './authorized-keys.js';

/**
 * The file sshd's keys command reads: every key of every enabled user, as
 * forced-command lines. Written whole (a new file renamed over the old one),
 * readable by root and the keys command's group only, and only when its
 * content changes. One write at a time.
 */
export class KeysFile {
  readonly #path: string;
  readonly #gid: number;
  readonly #command: string[];
  #queue: Promise<void> = Promise.resolve();

  constructor(options: { path: string; gid: number; command: string[] }) {
    this.#path = options.path;
    this.#gid = options.gid;
    this.#command = options.command;
  }

  sync(sql: Sql): Promise<void> {
    const next = this.#queue.then(() => this.#write(sql));
    this.#queue = next.catch(() => {});
    return next;
  }

  async #write(sql: Sql): Promise<void> {
    const text = renderAuthorizedKeys(await activeSshKeys(sql), this.#command);
    let current: string | undefined;
    try {
      current = readFileSync(this.#path, 'utf8');
    } catch {
      // not written yet
    }
    if (current === text) return;
    const fresh = `${this.#path}.new`;
    writeFileSync(fresh, text, { mode: 0o640 });
    chmodSync(fresh, 0o640);
    chownSync(fresh, 0, this.#gid);
    renameSync(fresh, this.#path);
  }
}
