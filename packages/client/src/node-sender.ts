import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { JsonSender } from './transport.js';

const load = createRequire(import.meta.url);

/** node:http's request, or node:https's for an https URL: node:https, and node:tls with it, load only then. */
export function requestFor(url: URL): typeof httpRequest {
  return url.protocol === 'https:' ? (load('node:https') as { request: typeof httpRequest }).request : httpRequest;
}

/** As long as fetch waits for an answer's headers and between its chunks (undici's 300 s). */
const TIMEOUT_MS = 300_000;

/**
 * JSON requests by node:http (node:https for an https API), for the CLI: fetch's first use loads undici and
 * with it node:http2 and node:tls, ~10 ms of every plat command, ~30 ms where processes start slowly.
 * Redirects are not followed: the client says where the API redirects to.
 */
export const nodeSender: JsonSender = async (url, { method, headers, body }) => {
  const target = new URL(url);
  const length = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    // Node's global agent: a list's pages share a connection, and an idle one keeps nothing from exiting.
    const request = requestFor(target)(target, { method, headers: { ...headers, ...length } }, resolve);
    request.setTimeout(TIMEOUT_MS, () =>
      request.destroy(Object.assign(new Error('no answer in 300 s'), { code: 'ETIMEDOUT' })),
    );
    request.on('error', reject);
    request.end(body);
  });
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const header = (name: string) => {
    const value = response.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  return { status: response.statusCode ?? 0, header, text: Buffer.concat(chunks).toString('utf8') };
};
