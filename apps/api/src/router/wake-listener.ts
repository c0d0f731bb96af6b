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
}

/** The socket's place and the secret nginx marks requests with; the secret is kept so a platd restart keeps it. */
export function wakeEndpoint(routerDir: string): { socket: string; secret: string } {
  const path = join(routerDir, 'wake.secret');
  if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600 });
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

function without(headers: IncomingHttpHeaders, names: Set<string>): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.has(name)));
}

export class WakeListener {
  readonly #options: WakeListenerOptions;
  readonly #server: Server;
  readonly #secret: Buffer;
  /** Upgraded connections: the HTTP server no longer tracks them, and close() must not wait for them. */
  readonly #tunnels = new Set<Socket>();

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
    return typeof app === 'string' && /^[a-z][a-z0-9-]{1,62}$/.test(app) ? app : undefined;
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
      awake = await this.#options.wake(app);
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'H10';
      return answerError(res, code, (error as Error).message, wakeSeconds(Date.now() - arrived));
    }
    const wake = wakeSeconds(Date.now() - arrived);
    const { dyno } = awake;
    const upstream = httpRequest({
      host: '127.0.0.1',
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

  /** WebSockets and other upgrades: once awake, the two connections are joined as they are. */
  async #onUpgrade(req: IncomingMessage, client: Socket, head: Buffer): Promise<void> {
    this.#tunnels.add(client);
    client.on('close', () => this.#tunnels.delete(client));
    client.on('error', () => client.destroy());
    const app = this.#appOf(req);
    if (!app) return void client.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
    let awake: Awake;
    try {
      awake = await this.#options.wake(app);
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'H10';
      return void client.end(`HTTP/1.1 503 Service Unavailable\r\nx-plat-error: ${code}\r\nconnection: close\r\n\r\n`);
    }
    const upstream = connect(awake.dyno.port, '127.0.0.1', () => {
      const headers = without(req.headers, new Set(['x-plat-app', 'x-plat-wake-secret']));
      const lines = Object.entries(headers).flatMap(([name, value]) =>
        (Array.isArray(value) ? value : [value ?? '']).map((one) => `${name}: ${one}`),
      );
      upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    // Either side gone ends the tunnel: nothing is left half open.
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  }
}

/** The router's error answer, as nginx gives its own: 503, the code in X-Plat-Error, one line of text. */
function answerError(res: ServerResponse, code: string, message: string, wake: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(503, { 'content-type': 'text/plain', 'x-plat-error': code, 'x-plat-wake': wake }).end(`${message}\n`);
}
