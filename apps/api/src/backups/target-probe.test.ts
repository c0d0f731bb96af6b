import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { probeTarget } from './target-probe.js';

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((socket) => socket.end());
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

describe('probeTarget', () => {
  it('says nothing of a target that accepts connections, and what ssh would say of one that refuses them', async () => {
    const { server, port } = await listen();
    expect(await probeTarget('127.0.0.1', port)).toBeUndefined();
    await new Promise((resolve) => server.close(resolve));
    expect(await probeTarget('127.0.0.1', port)).toBe(`connect to host 127.0.0.1 port ${port}: Connection refused`);
  });
});
