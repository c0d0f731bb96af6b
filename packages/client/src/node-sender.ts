import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import type { JsonSender } from './transport.js';

/**
 * JSON requests by node:http (node:https for an https API), for the CLI: fetch's first use loads undici and
 * with it node:http2 and node:tls, ~10 ms of every plat command, ~30 ms where processes start slowly.
 * Redirects are not followed: the client says where the API redirects to.
 */
export const nodeSender: JsonSender = async (url, { method, headers, body }) => {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? (await import('node:https')).request : httpRequest;
  const options: RequestOptions = {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    // One connection per request, closed after it: nothing idle keeps plat from exiting.
    agent: false,
  };
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = send(target, options, resolve);
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
