import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../../test/support/ports.js';
import { waitUntilServing } from './readiness.js';

describe('waiting for a dyno to serve', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  });

  const listenLater = async (port: number, afterMs: number) => {
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    const server = createServer((_req, res) => res.end('ok'));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return Date.now();
  };

  it('finds the app within a few ms of its first listen, asking the runtime only now and then', async () => {
    const port = await freePort();
    let asked = 0;
    const listening = listenLater(port, 300);
    const readiness = await waitUntilServing(
      { port },
      {
        timeoutMs: 5000,
        stillRunning: async () => {
          asked += 1;
          return true;
        },
        checkEveryMs: 100,
      },
    );
    const late = Date.now() - (await listening);
    expect(readiness).toEqual({ ready: true });
    // A doubling backoff would have slept up to 400 ms here.
    expect(late).toBeLessThan(60);
    expect(asked).toBeLessThanOrEqual(4);
  });

  it('probes where the router will reach the dyno, not 127.0.0.1', async () => {
    const port = await freePort();
    const server = createServer((_req, res) => res.end('ok'));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.2', resolve));
    expect(
      await waitUntilServing({ host: '127.0.0.2', port }, { timeoutMs: 5000, stillRunning: async () => true }),
    ).toEqual({ ready: true });
    expect(await waitUntilServing({ port }, { timeoutMs: 200, stillRunning: async () => true })).toEqual({
      ready: false,
      reason: 'timeout',
    });
  });

  it('stops at once when the dyno is known to have exited, and at the deadline otherwise', async () => {
    const port = await freePort();
    const started = Date.now();
    expect(
      await waitUntilServing({ port }, { timeoutMs: 5000, stillRunning: async () => true, exited: () => true }),
    ).toEqual({ ready: false, reason: 'exited' });
    expect(
      await waitUntilServing({ port }, { timeoutMs: 5000, stillRunning: async () => false, checkEveryMs: 0 }),
    ).toEqual({ ready: false, reason: 'exited' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await waitUntilServing({ port }, { timeoutMs: 200, stillRunning: async () => true })).toEqual({
      ready: false,
      reason: 'timeout',
    });
  });
});
