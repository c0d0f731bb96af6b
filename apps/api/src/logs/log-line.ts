/** One line of an app's log, Heroku-style: `2026-11-23T18:00:00.000Z app[web.1]: message`. */
export type LogSource = 'app' | 'router' | 'build' | 'plat';

export interface LogLine {
  at: Date;
  source: LogSource;
  /** `web.1` for app lines, `router`, `build` or `api` otherwise. */
  dyno: string;
  line: string;
}

export function formatLogLine(entry: LogLine): string {
  return `${entry.at.toISOString()} ${entry.source}[${entry.dyno}]: ${entry.line}`;
}

export interface LogFilter {
  source?: LogSource;
  dyno?: string;
}

/** The filter a query asks for (`?source=&dyno=`), its empty fields left out. */
export function logFilterOf(query: { source?: LogSource; dyno?: string }): LogFilter {
  return { ...(query.source ? { source: query.source } : {}), ...(query.dyno ? { dyno: query.dyno } : {}) };
}

export function matches(entry: LogLine, filter: LogFilter): boolean {
  if (filter.source && entry.source !== filter.source) return false;
  // `--dyno web` means every web dyno; `--dyno web.1` just that one.
  if (filter.dyno && entry.dyno !== filter.dyno && !entry.dyno.startsWith(`${filter.dyno}.`)) return false;
  return true;
}
