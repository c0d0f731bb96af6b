import { Resolver } from 'node:dns/promises';
import { Agent, request } from 'node:https';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import type { LogLine } from '../logs/log-line.js';
import { addressRefusal, isLocalName } from './drain-address.js';
import type { DrainTarget } from './drain-url.js';
import { logplexRequest } from './logplex-frame.js';
import { syslogFrames } from './syslog-frame.js';

/** Sends one batch of a drain's lines; rejects when the drain did not take them all. */
export interface DrainSender {
  send(lines: readonly LogLine[], frameId: string): Promise<void>;
  close(): void;
}

export interface SenderOptions {
  token: string;
  allowPrivate: boolean;
  /** PEM CAs to trust besides the system's (PLAT_DRAINS_CA_FILE): a receiver with a private CA. */
  ca?: string[];
  /** Connecting, a TLS handshake, a write or an HTTPS answer take at most this long. */
  timeoutMs: number;
}

function ownAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => entry.address));
}

/**
 * Names are asked of DNS itself (c-ares, with a timeout), not getaddrinfo:
 * that runs on libuv's four shared threads, and a few drains whose names
 * hang would stall platd's file system work behind them.
 */
const resolver = new Resolver({ timeout: 5000, tries: 2 });

async function addressesOf(host: string): Promise<string[]> {
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
  const found = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
  if (found.length === 0 && v4.status === 'rejected') throw v4.reason;
  return found;
}

/**
 * The address to connect to: the name is resolved here, and the address
 * checked, at connect time (a name that pointed elsewhere when the drain was
 * added proves nothing), then the connection goes to that very address.
 */
export async function resolveDrainAddress(host: string, allowPrivate: boolean): Promise<string> {
  const rules = { allowPrivate, hostAddresses: ownAddresses() };
  if (!allowPrivate && isLocalName(host))
    throw new Error(`${host} is this server (PLAT_DRAINS_ALLOW_PRIVATE=1 allows it)`);
  // localhost is loopback by definition (RFC 6761), whatever DNS would say.
  const addresses = isIP(host) ? [host] : isLocalName(host) ? ['127.0.0.1', '::1'] : await addressesOf(host);
  const refusals: string[] = [];
  for (const address of addresses) {
    const refusal = addressRefusal(address, rules);
    if (!refusal) return address;
    refusals.push(refusal);
  }
  throw new Error(`not delivering to ${host}: ${refusals[0] ?? 'it has no address'}`);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`${what} timed out after ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** RFC 5424 messages over one long-lived TCP or TLS connection, made again after any failure. */
class SyslogSender implements DrainSender {
  readonly #target: DrainTarget;
  readonly #options: SenderOptions;
  #socket: Socket | undefined;

  constructor(target: DrainTarget, options: SenderOptions) {
    this.#target = target;
    this.#options = options;
  }

  async send(lines: readonly LogLine[]): Promise<void> {
    const socket = this.#socket && !this.#socket.destroyed ? this.#socket : await this.#connect();
    const bytes = syslogFrames(lines, this.#options.token);
    // The callback comes once the kernel has the bytes: a receiver that stops reading stalls it, and then times out.
    const written = new Promise<void>((resolve, reject) => {
      socket.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
    await withTimeout(written, this.#options.timeoutMs, 'writing to the drain', () => socket.destroy());
  }

  async #connect(): Promise<Socket> {
    const { host, port, kind } = this.#target;
    const address = await resolveDrainAddress(host, this.#options.allowPrivate);
    const socket =
      kind === 'syslog+tls'
        ? tlsConnect({
            host: address,
            port,
            // SNI and the certificate check are for the name; an IP URL is checked against the certificate's IPs.
            ...(isIP(host) ? {} : { servername: host }),
            ...(this.#options.ca ? { ca: this.#options.ca } : {}),
            minVersion: 'TLSv1.2',
          })
        : netConnect({ host: address, port });
    const ready = kind === 'syslog+tls' ? 'secureConnect' : 'connect';
    const connected = new Promise<void>((resolve, reject) => {
      socket.once(ready, resolve);
      socket.once('error', reject);
    });
    await withTimeout(connected, this.#options.timeoutMs, `connecting to ${host}:${port}`, () => socket.destroy());
    // A receiver does not talk back; whatever it sends is read and dropped, so it cannot fill platd's buffers.
    socket.on('data', () => {});
    socket.on('error', () => socket.destroy());
    socket.setKeepAlive(true, 60_000);
    socket.unref();
    this.#socket = socket;
    return socket;
  }

  close(): void {
    this.#socket?.destroy();
    this.#socket = undefined;
  }
}

/** Heroku's HTTPS drains: one POST per batch, logplex framing, over a kept-alive connection. */
class HttpsSender implements DrainSender {
  readonly #target: DrainTarget;
  readonly #options: SenderOptions;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 1 });

  constructor(target: DrainTarget, options: SenderOptions) {
    this.#target = target;
    this.#options = options;
  }

  async send(lines: readonly LogLine[], frameId: string): Promise<void> {
    const { host, port, path, username, password } = this.#target;
    const address = await resolveDrainAddress(host, this.#options.allowPrivate);
    const { headers, body } = logplexRequest(lines, { token: this.#options.token, frameId });
    const hostHeader = `${isIP(host) === 6 ? `[${host}]` : host}${port === 443 ? '' : `:${port}`}`;
    const auth = username || password ? Buffer.from(`${username}:${password}`).toString('base64') : undefined;
    await new Promise<void>((resolve, reject) => {
      const req = request(
        {
          host: address,
          port,
          path,
          method: 'POST',
          agent: this.#agent,
          ...(isIP(host) ? {} : { servername: host }),
          ...(this.#options.ca ? { ca: this.#options.ca } : {}),
          minVersion: 'TLSv1.2',
          headers: { ...headers, host: hostHeader, ...(auth ? { authorization: `Basic ${auth}` } : {}) },
        },
        (response) => {
          // The answer's body means nothing to us: read and dropped, so the connection can be reused.
          response.resume();
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) response.on('end', resolve);
          else reject(new Error(`the drain answered HTTP ${status}`));
          response.on('error', reject);
        },
      );
      const timer = setTimeout(() => {
        req.destroy(new Error(`the drain did not answer within ${this.#options.timeoutMs} ms`));
      }, this.#options.timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', reject);
      req.on('socket', (socket) => socket.unref());
      req.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

export function drainSender(target: DrainTarget, options: SenderOptions): DrainSender {
  return target.kind === 'https' ? new HttpsSender(target, options) : new SyslogSender(target, options);
}
