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

export function matches(entry: LogLine, filter: LogFilter): boolean {
  if (filter.source && entry.source !== filter.source) return false;
  // `--dyno web` means every web dyno; `--dyno web.1` just that one.
  if (filter.dyno && entry.dyno !== filter.dyno && !entry.dyno.startsWith(`${filter.dyno}.`)) return false;
  return true;
}

/**
 * Turns one nginx access-log line (our `plat` format) into a router log line
 * for its app, naming the dyno that served it by its port.
 */
export function routerLine(raw: string, dynoByPort: (port: number) => string | undefined): { app: string; entry: LogLine } | undefined {
  const fields = new Map<string, string>();
  for (const match of raw.matchAll(/(\w+)=("([^"]*)"|\S*)/g)) fields.set(match[1]!, match[3] ?? match[2]!);
  const app = fields.get('app');
  const time = fields.get('time');
  if (!app || app === '-' || !time) return undefined;
  const upstream = fields.get('upstream') ?? '-';
  const port = Number(upstream.split(', ').at(-1)?.split(':')[1]);
  const dyno = Number.isFinite(port) ? dynoByPort(port) : undefined;
  const status = fields.get('status') ?? '';
  const ms = (value: string | undefined) => (value && value !== '-' ? `${Math.round(Number(value.split(', ').at(-1)) * 1000)}ms` : '-');
  const error = fields.get('err');
  const code = error && error !== '-' ? ` code=${error}` : '';
  const level = code ? 'error' : 'info';
  return {
    app,
    entry: {
      at: new Date(Number(time) * 1000),
      source: 'router',
      dyno: 'router',
      line: `at=${level}${code} method=${fields.get('method')} path="${fields.get('path')}" host=${fields.get('host')} request_id=${fields.get('request_id')} fwd="${fields.get('fwd')}" dyno=${dyno ?? '-'} connect=${ms(fields.get('connect'))} service=${ms(fields.get('service'))} status=${status} bytes=${fields.get('bytes')}`,
    },
  };
}
