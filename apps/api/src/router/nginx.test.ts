/**
 * The router's nginx run for real (as root its workers are www-data) in front
 * of a small HTTP server standing in for a dyno. No Docker needed.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir, userInfo } from 'node:os';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../../test/support/ports.js';
import { get } from '../../../../test/support/http.js';
import { NginxRouter } from './nginx.js';
import type { Refusal } from './route-screen.js';

function postBody(port: number, host: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/upload',
        headers: { host, 'content-length': body.length },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('POST timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

describe('router nginx', () => {
  // mkdtemp makes a private (0700) folder, like the data dir platd creates.
  const dataDir = mkdtempSync(join(tmpdir(), 'plat-router-'));
  let dyno: Server;
  const upgraded = new Set<Duplex>();
  let router: NginxRouter;
  let port: number;
  const refusals: Refusal[] = [];

  beforeAll(async () => {
    dyno = createServer((req, res) => {
      let bytes = 0;
      req.on('data', (chunk: Buffer) => (bytes += chunk.length));
      req.on('end', () => res.end(`received ${bytes} bytes\n`));
    });
    // A websocket-style upgrade: answer 101, then echo whatever comes.
    dyno.on('upgrade', (req, socket) => {
      upgraded.add(socket);
      socket.on('close', () => upgraded.delete(socket));
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\n\r\n`,
      );
      socket.on('data', (chunk: Buffer) => socket.write(`echo: ${chunk}`));
    });
    await new Promise<void>((resolve) => dyno.listen(0, '127.0.0.1', resolve));
    port = await freePort();
    // Reloads here confirm within milliseconds; a short limit keeps the unconfirmed-reload test quick.
    router = new NginxRouter({
      dir: join(dataDir, 'router'),
      listenHost: '127.0.0.1',
      port,
      reloadTimeoutMs: 3000,
      onRefused: (refusal) => refusals.push(refusal),
    });
    const dynoPort = (dyno.address() as { port: number }).port;
    await router.apply([
      {
        app: 'upload',
        hostnames: ['upload.localhost'],
        dynos: [{ name: 'web.1', port: dynoPort }],
        maintenance: false,
      },
    ]);
  });
  afterAll(async () => {
    await router?.stop();
    for (const socket of upgraded) socket.destroy();
    dyno?.closeAllConnections();
    await new Promise((resolve) => dyno?.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('passes request bodies too big to hold in memory (its workers reach their temp folder)', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 'x');
    expect(await postBody(port, 'upload.localhost', body)).toEqual({
      status: 200,
      text: `received ${body.length} bytes\n`,
    });
  });

  it('passes connection upgrades (websockets) through to the dyno', async () => {
    const echoed = await new Promise<string>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port,
        path: '/socket',
        headers: { host: 'upload.localhost', connection: 'Upgrade', upgrade: 'websocket' },
        timeout: 10_000,
      });
      req.on('upgrade', (res, socket) => {
        expect(res.statusCode).toBe(101);
        socket.on('data', (chunk: Buffer) => {
          resolve(chunk.toString());
          socket.destroy();
        });
        socket.write('hello over the upgraded connection');
      });
      req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
      req.on('timeout', () => req.destroy(new Error('upgrade timed out')));
      req.on('error', reject);
      req.end();
    });
    expect(echoed).toBe('echo: hello over the upgraded connection');
  });

  it('reloads only when the routes change', async () => {
    const workers = () =>
      readFileSync(`/proc/${router.runningPid()}/task/${router.runningPid()}/children`, 'utf8').trim();
    const before = workers();
    const dynoPort = (dyno.address() as { port: number }).port;
    const routes = [
      {
        app: 'upload',
        hostnames: ['upload.localhost'],
        dynos: [{ name: 'web.1', port: dynoPort }],
        maintenance: false,
      },
    ];
    await router.apply(routes);
    expect(workers()).toBe(before);
    await router.apply([...routes, { app: 'other', hostnames: ['other.localhost'], dynos: [], maintenance: false }]);
    expect(workers()).not.toBe(before);
  });

  it('leaves out what nginx refuses (a bad hostname, a bad app) and routes everything else', async () => {
    const dynoPort = (dyno.address() as { port: number }).port;
    const routes = [
      {
        app: 'upload',
        hostnames: ['upload.localhost', 'x.*.bad.example', 'www.upload.example'],
        dynos: [{ name: 'web.1', port: dynoPort }],
        maintenance: false,
      },
      { app: 'Odd"App', hostnames: ['odd.localhost'], dynos: [], maintenance: false },
      { app: 'other', hostnames: ['other.localhost'], dynos: [{ name: 'web.1', port: dynoPort }], maintenance: false },
    ];
    await router.apply(routes);
    for (const host of ['upload.localhost', 'www.upload.example', 'other.localhost'])
      expect((await get(port, host, '/')).body).toBe('received 0 bytes\n');
    expect((await get(port, 'x.y.bad.example', '/')).status).toBe(404);
    expect(refusals).toEqual([
      { app: 'Odd"App', reason: 'unsafe app name in nginx config: "Odd\\"App"' },
      {
        app: 'upload',
        hostname: 'x.*.bad.example',
        reason: expect.stringContaining('invalid server name or wildcard "x.*.bad.example"'),
      },
    ]);
    // Known refusals are not reported again, and a change elsewhere still goes through.
    await router.apply([...routes, { app: 'third', hostnames: ['third.localhost'], dynos: [], maintenance: false }]);
    expect(refusals).toHaveLength(2);
    expect((await get(port, 'third.localhost', '/')).headers['x-plat-error']).toBe('H14');
  });

  it('checks a hostname against what nginx serves, before it is stored', async () => {
    expect(await router.refusalOf('upload', 'api.upload.example', 'upload.localhost')).toBeUndefined();
    expect(await router.refusalOf('upload', 'a.*.upload.example', 'upload.localhost')).toContain(
      'invalid server name or wildcard',
    );
    expect(await router.refusalOf('newcomer', 'www.newcomer.example', 'newcomer.localhost')).toBeUndefined();
  });

  it('takes a reload as done only once nginx answers it, and tries again on the next apply', async () => {
    const dynoPort = (dyno.address() as { port: number }).port;
    const routes = [
      {
        app: 'upload',
        hostnames: ['upload.localhost'],
        dynos: [{ name: 'web.1', port: dynoPort }],
        maintenance: false,
      },
      { app: 'late', hostnames: ['late.localhost'], dynos: [{ name: 'web.1', port: dynoPort }], maintenance: false },
    ];
    const master = router.runningPid()!;
    // A stopped master cannot reload; its workers keep answering the old generation.
    process.kill(master, 'SIGSTOP');
    try {
      await expect(router.apply(routes)).rejects.toThrow(/did not load the new router config within 3 s/);
      await expect(router.apply(routes)).rejects.toThrow(/did not load the new router config/);
    } finally {
      process.kill(master, 'SIGCONT');
    }
    await router.apply(routes);
    expect((await get(port, 'late.localhost', '/')).body).toBe('received 0 bytes\n');
  });

  it.runIf(userInfo().uid === 0)('opens the private data dir to the workers’ group only, to pass through', () => {
    const mode = statSync(dataDir).mode & 0o777;
    expect(mode).toBe(0o710);
  });
});
