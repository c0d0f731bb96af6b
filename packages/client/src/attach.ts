import type { Duplex } from 'node:stream';
import { ATTACH_PROTOCOL, type AttachQuery, type PsqlQuery } from '@plat/core';
import { requestFor } from './node-sender.js';
import { appPath, baseUrl, failure, queryString, unreachable, type ClientOptions } from './transport.js';

/** The size of the caller's terminal, when it has one: the session then gets a TTY. */
export interface Terminal {
  cols: number;
  rows: number;
}

/**
 * An attached session after `101 Switching Protocols`: the socket takes
 * stdin one way and carries attach frames (stdout, stderr, exit code) the
 * other; head holds the first frames' bytes that came with the upgrade.
 * The socket is paused, so no frame is lost before the caller listens:
 * resume it then.
 */
export interface AttachedSession {
  socket: Duplex;
  head: Buffer;
}

/**
 * `plat run` and `plat pg:psql`: HTTP upgrades to the attach protocol
 * (apps/api's http/attach.ts). Node only, so the main entry stays usable in
 * a browser.
 */
export class AttachClient {
  readonly apiUrl: string;
  readonly #token: string | undefined;

  constructor(options: ClientOptions) {
    this.apiUrl = baseUrl(options.apiUrl);
    this.#token = options.token;
  }

  /** A one-off dyno running a command line. */
  run(app: string, command: string, terminal?: Terminal): Promise<AttachedSession> {
    return this.#open(appPath(app, '/dynos/attach'), { command }, terminal);
  }

  /** psql in a postgres add-on's own container (the DATABASE_URL one when addon is absent). */
  psql(app: string, addon?: string, terminal?: Terminal): Promise<AttachedSession> {
    return this.#open(appPath(app, '/pg/psql'), { addon }, terminal);
  }

  #open(path: string, params: { command: string } | { addon?: string }, terminal?: Terminal): Promise<AttachedSession> {
    const tty = terminal ? ({ tty: '1', cols: String(terminal.cols), rows: String(terminal.rows) } as const) : {};
    const query: AttachQuery | PsqlQuery = { ...params, ...tty };
    const url = new URL(`${this.apiUrl}${path}${queryString(query)}`);
    const headers: Record<string, string> = { connection: 'Upgrade', upgrade: ATTACH_PROTOCOL };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    const request = requestFor(url)(url, { headers });
    return new Promise<AttachedSession>((resolve, reject) => {
      request.on('error', (error) => reject(unreachable(this.apiUrl, error)));
      // An answer other than 101 is the API's error.
      request.on('response', (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => reject(failure(this.apiUrl, response.statusCode ?? 500, body)));
      });
      request.on('upgrade', (_response, socket, head) => resolve({ socket: socket.pause(), head }));
      request.end();
    });
  }
}
