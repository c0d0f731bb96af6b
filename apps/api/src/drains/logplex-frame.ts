import { randomBytes } from 'node:crypto';
import type { LogLine } from '../logs/log-line.js';
import { octetCounted, syslogMessage } from './syslog-frame.js';

/**
 * The body and headers of one HTTPS drain request, in Heroku's logplex
 * framing: `Content-Type: application/logplex-1`, one octet-counted syslog
 * message per line, each ending in a newline that its count includes
 * (`83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed…\n`).
 * Logplex-Frame-Id names the batch: a retried request keeps its id, so a
 * receiver can drop a batch it already has.
 */
export interface LogplexRequest {
  headers: Record<string, string>;
  body: Buffer;
}

export function newFrameId(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

export function logplexRequest(lines: readonly LogLine[], options: { token: string; frameId: string }): LogplexRequest {
  const body = Buffer.from(lines.map((line) => octetCounted(`${syslogMessage(line, 'host')}\n`)).join(''));
  return {
    headers: {
      'content-type': 'application/logplex-1',
      'content-length': String(body.length),
      'logplex-msg-count': String(lines.length),
      'logplex-frame-id': options.frameId,
      'logplex-drain-token': options.token,
      'user-agent': 'Plat-Logplex/1',
    },
    body,
  };
}
