import { closeSync, fstatSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LogLine } from './log-line.js';
import { parseRouterLine } from './router-line.js';

const BLOCK = 64 * 1024;
/** What #drain reads into; its text is copied out before the next read. */
const scratch = Buffer.allocUnsafe(BLOCK);
const POLL_MS = 200;
const ROTATE_CHECK_MS = 10_000;
/** About 15 000 router lines; with the one previous file kept, an app's router log stays under 8 MiB. */
const ROTATE_BYTES = 4 * 1024 * 1024;

/** After a rotation, nginx workers may write to the old file until they reopen theirs. */
const OLD_FILE_GRACE_MS = 5_000;

interface FollowedFile {
  fd: number;
  ino: number;
  offset: number;
  partial: string;
  /** Set once its fd is closed: a listener may end the follow in the middle of a drain. */
  closed?: boolean;
  /** Set once the path names a newer file: read until then, then closed. */
  closeAt?: number;
}

interface Follower {
  listeners: Set<(line: LogLine) => void>;
  /** Told when the follow ends from here (the app's log removed or renamed), not when they stop it. */
  ends: Map<(line: LogLine) => void, () => void>;
  /** Oldest first; the last is the file the path names. */
  files: FollowedFile[];
}

function closeFile(file: FollowedFile): void {
  if (file.closed) return;
  file.closed = true;
  closeSync(file.fd);
}

function closeFiles(follower: Follower): void {
  for (const file of follower.files) closeFile(file);
}

/** The last `max` lines of a file, oldest first. nginx escapes non-ASCII bytes, so a block never splits a character. */
function lastLines(path: string, max: number): string[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return [];
  }
  try {
    const found: string[] = [];
    let end = fstatSync(fd).size;
    let carry = '';
    while (end > 0 && found.length < max) {
      const start = Math.max(0, end - BLOCK);
      const buffer = Buffer.alloc(end - start);
      readSync(fd, buffer, 0, buffer.length, start);
      const parts = (buffer.toString('latin1') + carry).split('\n');
      // The block's first piece may be the end of a line that starts earlier.
      carry = start > 0 ? parts.shift()! : '';
      for (let i = parts.length - 1; i >= 0 && found.length < max; i -= 1) if (parts[i]) found.push(parts[i]!);
      end = start;
    }
    return found.reverse();
  } finally {
    closeSync(fd);
  }
}

/**
 * The router's request lines: nginx appends them to one file per app, and
 * platd reads them only when someone asks (`plat logs`) or follows them
 * (`plat logs --tail`), so serving a request costs platd nothing. Files are
 * rotated by size, keeping the previous one, and survive platd restarts.
 */
export class RouterLogFiles {
  readonly dir: string;
  readonly #reopen: () => void;
  readonly #rotateBytes: number;
  readonly #followers = new Map<string, Follower>();
  #pollTimer: NodeJS.Timeout | undefined;
  #rotateTimer: NodeJS.Timeout | undefined;

  /** `reopen` makes nginx reopen its log files (after a rotation). */
  constructor(options: { dir: string; reopen: () => void; rotateBytes?: number }) {
    this.dir = options.dir;
    this.#reopen = options.reopen;
    this.#rotateBytes = options.rotateBytes ?? ROTATE_BYTES;
  }

  pathOf(app: string): string {
    return join(this.dir, `${app}.log`);
  }

  /**
   * When nginx last wrote a request line of the app (ms), if ever: its last
   * request, late by at most the access log's flush interval (250 ms). A
   * stat, not a read: the sleep check of eco apps costs one per app.
   */
  lastWrittenAt(app: string): number | undefined {
    return statSync(this.pathOf(app), { throwIfNoEntry: false })?.mtimeMs;
  }

  /** The app's newest router lines, oldest first. */
  recent(app: string, lines: number): LogLine[] {
    const current = lastLines(this.pathOf(app), lines);
    const previous = current.length < lines ? lastLines(`${this.pathOf(app)}.1`, lines - current.length) : [];
    return [...previous, ...current].flatMap((raw) => parseRouterLine(raw) ?? []);
  }

  /**
   * Calls `listener` with each router line of the app written from now on,
   * until the app's log is removed or renamed (then `onEnd` runs): whatever
   * appears later under the name belongs to whoever has it next.
   */
  follow(app: string, listener: (line: LogLine) => void, onEnd?: () => void): () => void {
    let follower = this.#followers.get(app);
    if (!follower) {
      follower = { listeners: new Set(), ends: new Map(), files: [] };
      this.#open(app, follower, 'end');
      this.#followers.set(app, follower);
    }
    follower.listeners.add(listener);
    if (onEnd) follower.ends.set(listener, onEnd);
    this.#pollTimer ??= setInterval(() => this.poll(), POLL_MS).unref();
    const followed = follower;
    return () => {
      followed.listeners.delete(listener);
      followed.ends.delete(listener);
      if (followed.listeners.size > 0 || this.#followers.get(app) !== followed) return;
      closeFiles(followed);
      this.#followers.delete(app);
    };
  }

  /** Ends every follow of the app's name, telling those who asked. */
  #end(app: string): void {
    const follower = this.#followers.get(app);
    if (!follower) return;
    this.#followers.delete(app);
    closeFiles(follower);
    const ends = [...follower.ends.values()];
    follower.listeners.clear();
    follower.ends.clear();
    for (const end of ends) {
      try {
        end();
      } catch {
        // One broken listener must not keep the others' follows.
      }
    }
  }

  /** Hands followers what nginx wrote since the last poll, across a rotation. */
  poll(): void {
    const now = Date.now();
    for (const [app, follower] of this.#followers) {
      try {
        this.#pollOne(app, follower, now);
      } catch {
        // A file that vanished or an fd closed meanwhile: the next poll sees the new state.
      }
    }
  }

  #pollOne(app: string, follower: Follower, now: number): void {
    for (const file of follower.files) this.#drain(file, follower.listeners);
    if (this.#followers.get(app) !== follower) return;
    const current = statSync(this.pathOf(app), { throwIfNoEntry: false });
    const last = follower.files.at(-1);
    if (current && current.ino !== last?.ino && this.#open(app, follower, 'start')) {
      if (last) last.closeAt = now + OLD_FILE_GRACE_MS;
      this.#drain(follower.files.at(-1)!, follower.listeners);
    }
    for (const file of follower.files.filter((f) => f.closeAt !== undefined && f.closeAt <= now)) closeFile(file);
    follower.files = follower.files.filter((f) => f.closeAt === undefined || f.closeAt > now);
  }

  #open(app: string, follower: Follower, at: 'start' | 'end'): boolean {
    let fd: number;
    try {
      fd = openSync(this.pathOf(app), 'r');
    } catch {
      // Not written yet: whatever appears later is new.
      return false;
    }
    const stat = fstatSync(fd);
    follower.files.push({ fd, ino: stat.ino, offset: at === 'end' ? stat.size : 0, partial: '' });
    return true;
  }

  #drain(file: FollowedFile, listeners: Set<(line: LogLine) => void>): void {
    while (!file.closed) {
      // One buffer for every drain (they run to the end synchronously): each poll visits every followed
      // app, and a fresh 64 KiB apiece was most of a poll's cost at hundreds of apps.
      const buffer = scratch;
      const read = readSync(file.fd, buffer, 0, BLOCK, file.offset);
      if (read === 0) return;
      file.offset += read;
      const parts = (file.partial + buffer.toString('latin1', 0, read)).split('\n');
      file.partial = parts.pop()!;
      for (const raw of parts) {
        const line = parseRouterLine(raw);
        if (line) for (const listener of listeners) listener(line);
        if (file.closed) return;
      }
    }
  }

  /** Moves files past the size limit aside (dropping the older ones) and has nginx reopen. */
  rotate(): void {
    let rotated = false;
    for (const name of this.#files()) {
      const path = join(this.dir, name);
      if ((statSync(path, { throwIfNoEntry: false })?.size ?? 0) <= this.#rotateBytes) continue;
      renameSync(path, `${path}.1`);
      rotated = true;
    }
    if (rotated) this.#reopen();
  }

  /** Keeps a renamed app's router log: nginx writes on into the moved file until it reloads with the new name. */
  rename(from: string, to: string): void {
    this.#end(from);
    this.#end(to);
    for (const suffix of ['', '.1']) {
      try {
        renameSync(`${this.pathOf(from)}${suffix}`, `${this.pathOf(to)}${suffix}`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }

  /** Forgets a destroyed app's router log. */
  remove(app: string): void {
    this.#end(app);
    rmSync(this.pathOf(app), { force: true });
    rmSync(`${this.pathOf(app)}.1`, { force: true });
  }

  start(): void {
    this.#rotateTimer = setInterval(() => {
      try {
        this.rotate();
      } catch {
        // The next check tries again; a failed rotation loses no lines.
      }
    }, ROTATE_CHECK_MS).unref();
  }

  stop(): void {
    if (this.#rotateTimer) clearInterval(this.#rotateTimer);
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
    for (const app of [...this.#followers.keys()]) this.#end(app);
  }

  #files(): string[] {
    try {
      return readdirSync(this.dir).filter((name) => name.endsWith('.log'));
    } catch {
      return [];
    }
  }
}
