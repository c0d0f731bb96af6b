import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { publicAddress } from './target.js';

/** What a receiver said to one attempt: a status code, or why there was none. */
export interface PostResult {
  code?: number;
  error?: string;
  durationMs: number;
}

export interface PostOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Reach loopback and private addresses too (PLAT_WEBHOOKS_ALLOW_PRIVATE). */
  allowPrivate: boolean;
}

/** The receiver's answer is read this far and no further: only its status is kept. */
const MAX_RESPONSE_BYTES = 64 * 1024;

class RefusedAddress extends Error {}

/**
 * Resolves like dns.lookup, then refuses private addresses: the connection
 * goes to the very address checked, so a name that resolves differently the
 * second time (DNS rebinding) gains nothing.
 */
const publicLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    const allowed = addresses.filter((entry) => publicAddress(entry.address));
    if (allowed.length === 0) {
      const shown = addresses.map((entry) => entry.address).join(', ');
      return callback(new RefusedAddress(`${hostname} resolves to a private address (${shown})`), '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
    return callback(null, allowed[0]!.address, allowed[0]!.family);
  });
};

/** One POST of a signed body; never throws: every outcome is a PostResult. */
export function postWebhook(options: PostOptions): Promise<PostResult> {
  const started = Date.now();
  const done = (result: Omit<PostResult, 'durationMs'>): PostResult => ({
    ...result,
    durationMs: Date.now() - started,
  });
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      return resolve(done({ error: 'invalid URL' }));
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (!options.allowPrivate && isIP(host) && !publicAddress(host))
      return resolve(done({ error: `refused: ${host} is a private address` }));
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        agent: false,
        headers: {
          ...options.headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(options.body)),
          'user-agent': 'Plat-Webhooks',
        },
        signal: AbortSignal.timeout(options.timeoutMs),
        ...(options.allowPrivate ? {} : { lookup: publicLookup }),
      },
      (response: IncomingMessage) => {
        const code = response.statusCode;
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          // Only the status matters; a receiver that talks on is cut off.
          if (read > MAX_RESPONSE_BYTES) response.destroy();
        });
        response.on('close', () => resolve(done(code === undefined ? { error: 'no status' } : { code })));
        response.on('error', () => {});
      },
    );
    request.on('error', (error: Error) => {
      const reason =
        error.name === 'TimeoutError' || error.name === 'AbortError'
          ? `timed out after ${options.timeoutMs / 1000} s`
          : error instanceof RefusedAddress
            ? `refused: ${error.message}`
            : error.message;
      resolve(done({ error: reason }));
    });
    request.end(options.body);
  });
}
