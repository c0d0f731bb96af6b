import type { LogLine, LogSource } from '../logs/log-line.js';

/**
 * One log line as an RFC 5424 syslog message, the way Heroku's drains carry
 * them: `<190>1 2026-11-28T12:00:00.000000+00:00 HOST app web.1 - message`.
 * APP-NAME is the line's source and PROCID its dyno, so `app[web.1]` in
 * `plat logs` reads `app web.1` here, as `app[web.1]` does on Heroku. No
 * structured data (`-`), no BOM. HOSTNAME is the drain's token for syslog
 * drains, so one receiver can tell apps apart, and `host` in HTTPS bodies
 * (the token travels in a header there), as Heroku does.
 */

/** Heroku's facilities: local7 for the app, local3 for the router, local0 for the platform; severity info. */
const PRIORITY: Record<LogSource, number> = {
  app: 23 * 8 + 6,
  build: 23 * 8 + 6,
  router: 19 * 8 + 6,
  plat: 16 * 8 + 6,
};

/** RFC 5424's header fields are printable ASCII without spaces, of bounded length; `-` stands for nothing. */
function headerField(value: string, max: number): string {
  const printable = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return printable.length > 0 ? printable : '-';
}

/** `2026-11-28T12:00:00.000000+00:00`: microseconds and a numeric offset, as Heroku writes them. */
export function syslogTimestamp(at: Date): string {
  return at.toISOString().replace('Z', '000+00:00');
}

export function syslogMessage(line: LogLine, hostname: string): string {
  // A line is one line: a stray CR or LF would split it for receivers that read by line.
  const message = line.line.replace(/[\r\n]+/g, ' ');
  return (
    `<${PRIORITY[line.source]}>1 ${syslogTimestamp(line.at)} ${headerField(hostname, 255)} ` +
    `${headerField(line.source, 48)} ${headerField(line.dyno, 128)} - ${message}`
  );
}

/** RFC 6587 octet counting: the message's length in bytes, a space, the message. */
export function octetCounted(message: string): string {
  return `${Buffer.byteLength(message)} ${message}`;
}

/** Lines as the bytes a syslog drain's TCP or TLS stream carries. */
export function syslogFrames(lines: readonly LogLine[], token: string): Buffer {
  return Buffer.from(lines.map((line) => octetCounted(syslogMessage(line, token))).join(''));
}
