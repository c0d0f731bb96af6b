import { EventEmitter } from 'node:events';
import type { Sql } from '../store/database.js';
import { matches, type LogFilter, type LogLine, type LogSource } from './log-line.js';

export const MAX_LINES_PER_APP = 10_000;
const FLUSH_MS = 200;

interface Pending extends LogLine {
  appId: string;
}

/**
 * Every app's log: lines from dynos, the router, builds and the platform
 * come in here, are stored (the newest MAX_LINES_PER_APP per app, across
 * deploys and platd restarts) and fan out to live tails.
 */
export class LogHub {
  readonly #sql: Sql;
  readonly #live = new EventEmitter();
  readonly #ids = new Map<string, string>();
  #pending: Pending[] = [];
  #written = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(sql: Sql) {
    this.#sql = sql;
    this.#live.setMaxListeners(0);
  }

  /** Lets lines that name an app (the router's) find its id. */
  knowApp(name: string, id: string): void {
    this.#ids.set(name, id);
  }

  idOf(name: string): string | undefined {
    return this.#ids.get(name);
  }

  write(appId: string, entry: { source: LogSource; dyno: string; line: string; at?: Date }): void {
    const line: Pending = { appId, at: entry.at ?? new Date(), source: entry.source, dyno: entry.dyno, line: entry.line.slice(0, 10_000) };
    this.#pending.push(line);
    this.#live.emit(appId, line);
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, FLUSH_MS);
  }

  subscribe(appId: string, listener: (line: LogLine) => void): () => void {
    this.#live.on(appId, listener);
    return () => this.#live.off(appId, listener);
  }

  async recent(appId: string, options: { lines: number; filter: LogFilter }): Promise<LogLine[]> {
    await this.flush();
    const { source, dyno } = options.filter;
    const rows = await this.#sql<LogLine[]>`
      select at, source, dyno, line from log_lines
      where app_id = ${appId}
        ${source ? this.#sql`and source = ${source}` : this.#sql``}
        ${dyno ? this.#sql`and (dyno = ${dyno} or dyno like ${`${dyno}.%`})` : this.#sql``}
      order by id desc limit ${options.lines}`;
    return rows.reverse().filter((row) => matches(row, options.filter));
  }

  /** When the app's newest stored line was written, to resume following without repeats. */
  async lastAt(appId: string): Promise<Date | undefined> {
    await this.flush();
    const [row] = await this.#sql<{ at: Date }[]>`select max(at) as at from log_lines where app_id = ${appId} and source = 'app'`;
    return row?.at ?? undefined;
  }

  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flush()).catch(() => {});
    return this.#flushing;
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    const rows = batch.map((l) => ({ app_id: l.appId, at: l.at, source: l.source, dyno: l.dyno, line: l.line }));
    // An app destroyed meanwhile takes its lines with it.
    await this.#sql`
      insert into log_lines ${this.#sql(rows)}
      on conflict do nothing`.catch(() => this.#insertEach(rows));
    for (const appId of new Set(batch.map((l) => l.appId))) {
      const count = (this.#written.get(appId) ?? 0) + batch.filter((l) => l.appId === appId).length;
      this.#written.set(appId, count);
      if (count >= 500) {
        this.#written.set(appId, 0);
        await this.#trim(appId);
      }
    }
  }

  async #insertEach(rows: { app_id: string }[]): Promise<void> {
    for (const row of rows) await this.#sql`insert into log_lines ${this.#sql(row as never)}`.catch(() => {});
  }

  async #trim(appId: string): Promise<void> {
    await this.#sql`
      delete from log_lines where app_id = ${appId} and id <= (
        select id from log_lines where app_id = ${appId} order by id desc offset ${MAX_LINES_PER_APP} limit 1)`;
  }

  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    await this.flush();
  }
}
