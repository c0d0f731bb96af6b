import { EventEmitter } from 'node:events';
import type { Sql } from '../store/database.js';
import { chunksBefore, insertChunks, lastAppLineAt, trimChunks, type NewChunk } from '../store/log-chunks.js';
import { matches, type LogFilter, type LogLine, type LogSource } from './log-line.js';
import { PendingLines } from './pending-lines.js';
import type { RouterLogFiles } from './router-log.js';

export const MAX_LINES_PER_APP = 10_000;
const FLUSH_MS = 200;
/**
 * Per app and flush: a dyno printing faster than this is stored in part (its
 * newest lines), not buffered without end.
 */
const MAX_PENDING_BYTES_PER_APP = 1024 * 1024;
/** Trimming runs once this many lines of an app were stored since the last trim. */
const TRIM_EVERY = 2_000;
/** Most chunks read per query while looking for matching lines. */
const MAX_CHUNKS_PER_PAGE = 16;

/** How a line is kept inside a chunk's JSON: [at in ms, source, dyno, line]. */
type StoredLine = [number, LogSource, string, string];

/** An app as the hub needs it: stored lines go by id, router lines by name. */
export interface AppRef {
  id: string;
  name: string;
}

/**
 * Every app's log. Lines from dynos, builds and the platform come in here,
 * are stored (the newest MAX_LINES_PER_APP per app, across deploys and platd
 * restarts, as one chunk per app per flush) and fan out to live tails. The
 * router's lines stay in nginx's files and are merged in when read, so a
 * request costs platd nothing.
 */
export class LogHub {
  readonly #sql: Sql;
  readonly #router: RouterLogFiles;
  readonly #live = new EventEmitter();
  readonly #ids = new Map<string, string>();
  /** Per app id: how to end each subscription that asked to hear of its end (the streams). */
  readonly #ending = new Map<string, Set<() => void>>();
  #pending = new Map<string, PendingLines>();
  #sinceTrim = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(sql: Sql, router: RouterLogFiles) {
    this.#sql = sql;
    this.#router = router;
    this.#live.setMaxListeners(0);
  }

  /** Lets platform events that name an app (crashes, restarts) find its id. */
  knowApp(name: string, id: string): void {
    this.#ids.set(name, id);
  }

  idOf(name: string): string | undefined {
    return this.#ids.get(name);
  }

  write(appId: string, entry: { source: LogSource; dyno: string; line: string; at?: Date }): void {
    const line: LogLine = {
      at: entry.at ?? new Date(),
      source: entry.source,
      dyno: entry.dyno,
      line: entry.line.slice(0, 10_000),
    };
    let pending = this.#pending.get(appId);
    if (!pending) {
      pending = new PendingLines({ maxLines: MAX_LINES_PER_APP, maxBytes: MAX_PENDING_BYTES_PER_APP });
      this.#pending.set(appId, pending);
    }
    pending.push(line);
    this.#live.emit(appId, line);
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, FLUSH_MS);
  }

  /**
   * Follows the app's lines. With `onEnd`, the subscription ends (and
   * `onEnd` runs) when the app is destroyed or renamed (end(), or its router
   * log removed or moved): its router lines follow a name, which the next
   * owner of that name would otherwise be read under.
   */
  subscribe(app: AppRef, listener: (line: LogLine) => void, onEnd?: () => void): () => void {
    let stopped = false;
    const ending = this.#ending.get(app.id) ?? new Set<() => void>();
    const stop = () => {
      if (stopped) return;
      stopped = true;
      this.#live.off(app.id, listener);
      stopRouter();
      ending.delete(end);
      if (ending.size === 0 && this.#ending.get(app.id) === ending) this.#ending.delete(app.id);
    };
    const end = () => {
      if (stopped) return;
      stop();
      onEnd?.();
    };
    this.#live.on(app.id, listener);
    const stopRouter = this.#router.follow(app.name, listener, onEnd ? end : undefined);
    if (onEnd) {
      ending.add(end);
      this.#ending.set(app.id, ending);
    }
    return stop;
  }

  /** Live subscriptions of an app now (tests). */
  subscribers(appId: string): number {
    return this.#live.listenerCount(appId);
  }

  /** Ends the app's subscriptions that asked to hear of it (live streams): on destroy and rename. */
  end(appId: string): void {
    const ending = this.#ending.get(appId);
    this.#ending.delete(appId);
    for (const end of [...(ending ?? [])]) {
      try {
        end();
      } catch {
        // One broken stream must not keep the others open.
      }
    }
  }

  /** The newest `lines` lines that pass the filter, oldest first. */
  async recent(app: AppRef, options: { lines: number; filter: LogFilter }): Promise<LogLine[]> {
    const stored = await this.#stored(app.id, options);
    const routerPasses = matches({ at: new Date(0), source: 'router', dyno: 'router', line: '' }, options.filter);
    if (!routerPasses) return stored;
    const merged = [...stored, ...this.#router.recent(app.name, options.lines)];
    // Stable: lines of the same millisecond keep their order.
    return merged.sort((a, b) => a.at.getTime() - b.at.getTime()).slice(-options.lines);
  }

  /** Forgets an app's router lines once it is destroyed (its stored lines go with its row). */
  forget(appName: string): void {
    this.#router.remove(appName);
    this.#ids.delete(appName);
  }

  async #stored(appId: string, options: { lines: number; filter: LogFilter }): Promise<LogLine[]> {
    await this.flush();
    const found: LogLine[] = [];
    let scanned = 0;
    let before: string | undefined;
    // One chunk first, then more per query: a chunk can hold megabytes, and a few lines need only the newest.
    let page = 1;
    while (found.length < options.lines && scanned < MAX_LINES_PER_APP) {
      const chunks = await chunksBefore(this.#sql, appId, { before, limit: page });
      for (const chunk of chunks) {
        const stored = JSON.parse(chunk.lines) as StoredLine[];
        for (
          let i = stored.length - 1;
          i >= 0 && found.length < options.lines && scanned < MAX_LINES_PER_APP;
          i -= 1, scanned += 1
        ) {
          const [at, source, dyno, line] = stored[i]!;
          const entry = { at: new Date(at), source, dyno, line };
          if (matches(entry, options.filter)) found.push(entry);
        }
      }
      if (chunks.length < page) break;
      before = chunks.at(-1)!.id;
      page = Math.min(page * 2, MAX_CHUNKS_PER_PAGE);
    }
    return found.reverse();
  }

  /** When the app's newest stored dyno line was written, to resume following without repeats. */
  async lastAt(appId: string): Promise<Date | undefined> {
    await this.flush();
    return lastAppLineAt(this.#sql, appId);
  }

  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flush()).catch(() => {});
    return this.#flushing;
  }

  async #flush(): Promise<void> {
    const pending = this.#pending;
    this.#pending = new Map();
    if (pending.size === 0) return;
    const rows = [...pending].map(([appId, kept]): NewChunk => {
      const lines = kept.lines();
      const appLines = lines.filter((l) => l.source === 'app');
      return {
        app_id: appId,
        line_count: lines.length,
        app_last_at: appLines.length ? new Date(Math.max(...appLines.map((l) => l.at.getTime()))) : null,
        lines: JSON.stringify(lines.map((l): StoredLine => [l.at.getTime(), l.source, l.dyno, l.line])),
      };
    });
    await insertChunks(this.#sql, rows);
    for (const row of rows) {
      const count = (this.#sinceTrim.get(row.app_id) ?? 0) + row.line_count;
      this.#sinceTrim.set(row.app_id, count);
      if (count >= TRIM_EVERY) {
        this.#sinceTrim.set(row.app_id, 0);
        await trimChunks(this.#sql, row.app_id, MAX_LINES_PER_APP);
      }
    }
  }

  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    await this.flush();
  }
}
