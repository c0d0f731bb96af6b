import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook } from './post.js';

describe('postWebhook', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/slow') return; // never answers
      if (request.url === '/chatty') {
        response.writeHead(202);
        response.write(Buffer.alloc(1024 * 1024));
        return; // and never ends
      }
      request.resume();
      request.on('end', () => {
        response.statusCode = request.headers['content-type'] === 'application/json' ? 204 : 400;
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (path: string, options: { allowPrivate?: boolean; host?: string; timeoutMs?: number } = {}) =>
    postWebhook({
      url: `http://${options.host ?? '127.0.0.1'}:${port}${path}`,
      body: '{}',
      headers: {},
      timeoutMs: options.timeoutMs ?? 2000,
      allowPrivate: options.allowPrivate ?? true,
    });

  it("keeps the receiver's status code", async () => {
    expect(await post('/hooks')).toMatchObject({ code: 204 });
  });

  it('refuses private addresses, also behind a name, unless allowed', async () => {
    expect(await post('/hooks', { allowPrivate: false })).toMatchObject({
      error: 'refused: 127.0.0.1 is a private address',
    });
    const named = await post('/hooks', { allowPrivate: false, host: 'localhost' });
    expect(named.code).toBeUndefined();
    expect(named.error).toMatch(/^refused: localhost resolves to a private address/);
  });

  it('gives up on a receiver that does not answer in time, and stops reading one that talks on', async () => {
    expect(await post('/slow', { timeoutMs: 300 })).toMatchObject({ error: 'timed out after 0.3 s' });
    expect(await post('/chatty', { timeoutMs: 5000 })).toMatchObject({ code: 202 });
  });
});
