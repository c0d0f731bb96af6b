/**
 * platd's wake listener: nginx hands it the requests of sleeping eco apps
 * (nginx-config.ts, wakeAnswer) on a unix socket in the router's folder. It
 * holds each request while the app wakes (one wake per app, however many
 * requests), then proxies it to a ready web dyno, so the client sees the
 * app's own answer and never an error while the boot is within its timeout.
 * Once the route is switched, nginx sends the app's requests to its dynos itself.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, chownSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { APP_NAME_PATTERN } from '@plat/core';
import type { Awake } from '../controller/eco-sleep.js';
import { wakeSeconds } from '../controller/eco-sleep-plan.js';

export interface WakeListenerOptions {
  socket: string;
  secret: string;
  /** A ready dyno of the app, or a rejection with a router code (EcoSleep.wake). */
  wake: (app: string) => Promise<Awake>;
  /** Seconds a dyno has to start answering once it has the request (H12 after), as the router's. */
  timeoutSeconds: number;
  /** The router's bound on request bodies (client_max_body_size). */
  maxBodyBytes: number;
  /** The group nginx's workers run as, when platd runs as root: the socket is theirs to connect to. */
  workerGid?: number;
  /** Requests held per app while it wakes; past this, H11 at once (default 200). */
  maxHeldPerApp?: number;
}

/** Held requests per app by default: a burst is held through one wake, a flood is not kept for ~95 s each. */
export const MAX_HELD_PER_APP = 200;
/** The most of a dyno's answer head to an upgrade that is read (to drop the router's headers) before H13. */
const MAX_UPGRADE_HEAD_BYTES = 64 * 1024;

/** The socket's place and the secret nginx marks requests with; the secret is kept so a platd restart keeps it. */
export function wakeEndpoint(routerDir: string): { socket: string; secret: string } {
  const path = join(routerDir, 'wake.secret');
  if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600 });
  // The mode applies only when the file is made: one left readable is closed now.
  chmodSync(path, 0o600);
  return { socket: join(routerDir, 'wake.sock'), secret: readFileSync(path, 'utf8').trim() };
}

/** Headers of one connection only (RFC 9110 7.6.1), and the router's own. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'x-plat-app',
  'x-plat-wake-secret',
]);
/** What only the wake listener may tell nginx: an app's own are dropped. */
const ROUTER_HEADERS = new Set(['x-plat-error', 'x-plat-wake', 'x-plat-dyno']);

/** A header name as nginx's $upstream_http_* and $sent_http_* match it: X_Plat_Error is X-Plat-Error to them. */
function headerKey(name: string): string {
  return name.trim().toLowerCase().replaceAll('_', '-');
}

function without(headers: IncomingHttpHeaders, names: Set<string>): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.has(headerKey(name))));
}

export class WakeListener {
  readonly #options: WakeListenerOptions;
  readonly #server: Server;
  readonly #secret: Buffer;
  /** Upgraded connections: the HTTP server no longer tracks them, and close() must not wait for them. */
  readonly #tunnels = new Set<Socket>();
  /** Requests (and upgrades) per app waiting for its wake. */
  readonly #held = new Map<string, number>();

  constructor(options: WakeListenerOptions) {
    this.#options = options;
    this.#secret = Buffer.from(options.secret);
    this.#server = createServer((req, res) => void this.#onRequest(req, res));
    this.#server.on(
      'upgrade',
      (req: IncomingMessage, socket: Socket, head: Buffer) => void this.#onUpgrade(req, socket, head),
    );
    // A held request waits for a boot (60 s) before its body is read.
    this.#server.requestTimeout = 0;
    this.#server.headersTimeout = 10_000;
  }

  async listen(): Promise<void> {
    const { socket, workerGid } = this.#options;
    // platd holds the data dir's lock: a socket file here is an earlier platd's.
    rmSync(socket, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(socket, () => resolve());
    });
    if (workerGid !== undefined) chownSync(socket, process.getuid?.() ?? 0, workerGid);
    chmodSync(socket, workerGid !== undefined ? 0o660 : 0o600);
  }

  async close(): Promise<void> {
    if (!this.#server.listening) return;
    // Held requests are cut: nginx answers them H99 (platd did not answer).
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    for (const socket of this.#tunnels) socket.destroy();
    await closed;
    rmSync(this.#options.socket, { force: true });
  }

  /** The app nginx named, when the request bears nginx's secret. */
  #appOf(req: IncomingMessage): string | undefined {
    const given = Buffer.from(String(req.headers['x-plat-wake-secret'] ?? ''));
    if (given.length !== this.#secret.length || !timingSafeEqual(given, this.#secret)) return undefined;
    const app = req.headers['x-plat-app'];
    return typeof app === 'string' && APP_NAME_PATTERN.test(app) ? app : undefined;
  }

  /**
   * The app's wake, holding this request meanwhile; H11 at once when as many
   * as allowed are held already. Rejects with a router code.
   */
  async #hold(app: string): Promise<Awake> {
    const held = this.#held.get(app) ?? 0;
    const max = this.#options.maxHeldPerApp ?? MAX_HELD_PER_APP;
    if (held >= max) {
      throw Object.assign(
        new Error(`H11: backlog too deep: ${app} is waking with ${max} requests held already; try again shortly`),
        { code: 'H11' },
      );
    }
    this.#held.set(app, held + 1);
    try {
      return await this.#options.wake(app);
    } finally {
      const left = (this.#held.get(app) ?? 1) - 1;
      if (left > 0) this.#held.set(app, left);
      else this.#held.delete(app);
    }
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const app = this.#appOf(req);
    if (!app) return void res.writeHead(403).end('Forbidden\n');
    if (Number(req.headers['content-length'] ?? 0) > this.#options.maxBodyBytes) {
      return void res.writeHead(413).end('Request body too large\n');
    }
    const arrived = Date.now();
    let awake: Awake;
    try {
      awake = await this.#hold(app);
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'H10';
      return answerError(res, code, (error as Error).message, wakeSeconds(Date.now() - arrived));
    }
    const wake = wakeSeconds(Date.now() - arrived);
    const { dyno } = awake;
    const upstream = httpRequest({
      host: dyno.host ?? '127.0.0.1',
      port: dyno.port,
      method: req.method,
      path: req.url,
      headers: without(req.headers, HOP_BY_HOP),
    });
    // As the router's proxy_read_timeout: the dyno has this long to start answering.
    const timer = setTimeout(() => {
      upstream.destroy();
      answerError(
        res,
        'H12',
        `H12: request timeout: ${app} did not answer within ${this.#options.timeoutSeconds} s`,
        wake,
      );
    }, this.#options.timeoutSeconds * 1000);
    upstream.on('response', (answer) => {
      clearTimeout(timer);
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, {
        ...without(answer.headers, new Set([...HOP_BY_HOP, ...ROUTER_HEADERS])),
        'x-plat-wake': wake,
        'x-plat-dyno': dyno.name,
      });
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', () => {
      clearTimeout(timer);
      if (res.headersSent) res.destroy();
      else answerError(res, 'H13', `H13: ${app} closed the connection without a response`, wake);
    });
    // nginx gave up on the request (its client went): so does the dyno's.
    res.on('close', () => {
      clearTimeout(timer);
      if (!res.writableFinished) upstream.destroy();
    });
    req.on('error', () => upstream.destroy());
    req.pipe(upstream);
  }

  /**
   * WebSockets and other upgrades: once awake, the request goes to the dyno;
   * its answer's head is read, the router's headers in it replaced by the
   * listener's own, and then the two connections are joined as they are.
   */
  async #onUpgrade(req: IncomingMessage, client: Socket, head: Buffer): Promise<void> {
    this.#tunnels.add(client);
    client.on('close', () => this.#tunnels.delete(client));
    client.on('error', () => client.destroy());
    const app = this.#appOf(req);
    if (!app) return void client.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
    const arrived = Date.now();
    let awake: Awake;
    try {
      awake = await this.#hold(app);
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'H10';
      return void client.end(errorHead(code, (error as Error).message, wakeSeconds(Date.now() - arrived)));
    }
    const wake = wakeSeconds(Date.now() - arrived);
    const { dyno } = awake;
    const upstream = connect(dyno.port, dyno.host ?? '127.0.0.1', () => {
      const headers = without(req.headers, new Set(['x-plat-app', 'x-plat-wake-secret']));
      const lines = Object.entries(headers).flatMap(([name, value]) =>
        (Array.isArray(value) ? value : [value ?? '']).map((one) => `${name}: ${one}`),
      );
      upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
    });
    // As the router's proxy_read_timeout: the dyno has this long to answer the upgrade.
    const timer = setTimeout(() => {
      const seconds = this.#options.timeoutSeconds;
      client.end(errorHead('H12', `H12: request timeout: ${app} did not answer within ${seconds} s`, wake));
      upstream.destroy();
    }, this.#options.timeoutSeconds * 1000);
    client.on('close', () => clearTimeout(timer));
    void readHead(upstream, MAX_UPGRADE_HEAD_BYTES).then((answer) => {
      clearTimeout(timer);
      if (client.destroyed || client.writableEnded) return void upstream.destroy();
      if (!answer) {
        client.end(errorHead('H13', `H13: ${app} closed the connection without a valid response`, wake));
        return void upstream.destroy();
      }
      client.write(routerHead(answer.head, { 'x-plat-wake': wake, 'x-plat-dyno': dyno.name }));
      if (answer.rest.length > 0) client.write(answer.rest);
      // Either side gone ends the tunnel: nothing is left half open.
      upstream.on('close', () => client.destroy());
      upstream.pipe(client);
      client.pipe(upstream);
    });
    // A refused or reset connection closes: before the head that is H13 (readHead), after it the tunnel's end.
    upstream.on('error', () => {});
    client.on('close', () => upstream.destroy());
  }
}

/**
 * The dyno's answer head up to its blank line, and what came after it; none
 * when the dyno ends first or sends more than `maxBytes` of head.
 */
function readHead(socket: Socket, maxBytes: number): Promise<{ head: string; rest: Buffer } | undefined> {
  return new Promise((resolve) => {
    let buffered = Buffer.alloc(0);
    const finish = (answer: { head: string; rest: Buffer } | undefined) => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      resolve(answer);
    };
    const onData = (chunk: Buffer) => {
      const from = Math.max(0, buffered.length - 3);
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n', from);
      if (end >= 0 && end + 4 <= maxBytes) {
        // Held until the tunnel's pipe takes over.
        socket.pause();
        finish({ head: buffered.subarray(0, end).toString('latin1'), rest: buffered.subarray(end + 4) });
      } else if (end >= 0 || buffered.length >= maxBytes) finish(undefined);
    };
    const onEnd = () => finish(undefined);
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
  });
}

/**
 * The dyno's head with the router's headers it sent dropped (a folded line
 * goes with its header) and the listener's own added, as the HTTP path does.
 */
export function routerHead(head: string, own: Record<string, string>): string {
  const [status = '', ...lines] = head.split('\r\n');
  const kept: string[] = [];
  let dropping = false;
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      if (!dropping) kept.push(line);
      continue;
    }
    const colon = line.indexOf(':');
    dropping = ROUTER_HEADERS.has(headerKey(colon >= 0 ? line.slice(0, colon) : line));
    if (!dropping) kept.push(line);
  }
  const added = Object.entries(own).map(([name, value]) => `${name}: ${value}`);
  return `${[status, ...kept, ...added].join('\r\n')}\r\n\r\n`;
}

/** answerError on a raw connection: an upgrade that is not joined. */
function errorHead(code: string, message: string, wake: string): string {
  const body = `${message}\n`;
  return (
    `HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\nx-plat-error: ${code}\r\n` +
    `x-plat-wake: ${wake}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  );
}

/** The router's error answer, as nginx gives its own: 503, the code in X-Plat-Error, one line of text. */
function answerError(res: ServerResponse, code: string, message: string, wake: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(503, { 'content-type': 'text/plain', 'x-plat-error': code, 'x-plat-wake': wake }).end(`${message}\n`);
}
