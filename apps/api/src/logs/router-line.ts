import type { LogLine } from './log-line.js';

/**
 * The router's access log line and its parser, side by side so they cannot
 * drift: nginx writes tab-separated fields (it escapes tabs inside values as
 * \x09), one file per app, and platd turns a line into a Heroku-style router
 * line only when someone reads it.
 */
const FIELDS = [
  ['time', '$msec'],
  // The router's own code (H12, H13, H14, H80), from the header it adds to its error answers.
  ['error', '$sent_http_x_plat_error'],
  ['method', '$request_method'],
  ['path', '$request_uri'],
  ['host', '$host'],
  ['requestId', '$plat_request_id'],
  ['fwd', '$remote_addr'],
  ['dyno', '$plat_dyno'],
  ['connect', '$upstream_connect_time'],
  ['service', '$upstream_response_time'],
  ['status', '$status'],
  ['bytes', '$bytes_sent'],
  // Seconds a sleeping eco app's request was held while its dyno started ("-" for any other request).
  ['wake', '$plat_wake'],
] as const;

/** Lines written before the wake field was added have one field less. */
const FIELDS_BEFORE_WAKE = FIELDS.length - 1;

/** The value of nginx's log_format for the router (the config quotes it). */
export const ROUTER_LOG_FORMAT = FIELDS.map(([, variable]) => variable).join('\\t');

/** Seconds as nginx logs them ("0.012", or "0.002, 0.010" after a retry) to Heroku's "10ms". */
function milliseconds(value: string): string {
  if (!value || value === '-') return '-';
  const last = value.slice(value.lastIndexOf(' ') + 1);
  return `${Math.round(Number(last) * 1000)}ms`;
}

export function parseRouterLine(raw: string): LogLine | undefined {
  const values = raw.split('\t');
  if (values.length !== FIELDS.length && values.length !== FIELDS_BEFORE_WAKE) return undefined;
  const [
    time = '',
    error = '',
    method = '',
    path = '',
    host = '',
    requestId = '',
    fwd = '',
    dyno = '',
    connect = '',
    service = '',
    status = '',
    bytes = '',
    wake = '-',
  ] = values;
  const at = Number(time) * 1000;
  if (!Number.isFinite(at)) return undefined;
  const code = error !== '-' && error ? ` code=${error}` : '';
  const woken = /^\d+(\.\d+)?$/.test(wake) ? ` wake=${wake}s` : '';
  return {
    at: new Date(at),
    source: 'router',
    dyno: 'router',
    line:
      `at=${code ? 'error' : 'info'}${code} method=${method} path="${path}" host=${host} ` +
      `request_id=${requestId} fwd="${fwd}" dyno=${dyno} connect=${milliseconds(connect)} ` +
      `service=${milliseconds(service)} status=${status} bytes=${bytes}${woken}`,
  };
}
