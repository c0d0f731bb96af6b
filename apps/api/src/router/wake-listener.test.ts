/**
 * A sleeping app's requests through a real nginx to the wake listener,
 * with a small HTTP server standing in for the dyno and a wake that takes
 * a moment: the held requests get the dyno's own answers, the router's
 * lines show the wake time, failures get their code. No Docker needed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get } from '../../../../test/support/http.js';
import { freePort } from '../../../../test/support/ports.js';
import { until } from '../../../../test/support/until.js';
import { WakeError, type Awake } from '../controller/eco-sleep.js';
import { RouterLogFiles } from '../logs/router-log.js';
import { NginxRouter } from './nginx.js';
import type { RouteTarget } from './router.js';
import { routerHead, WakeListener, wakeEndpoint } from './wake-listener.js';

describe('the wake listener behind nginx', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plat-wake-'));
  let dyno: Server;
  let dynoPort: number;
  let router: NginxRouter;
  let listener: WakeListener;
  let logs: RouterLogFiles;
  let port: number;
  /** Apps the fake wake was asked for, and how many wakes it did. */
  const asked: string[] = [];
  let wakes = 0;
  let waking: Promise<Awake> | undefined;
  let failWith: string | undefined;
  /** While set, every wake waits for it too: requests stay held. */
  let gate: Promise<void> | undefined;
  const HELD_MAX = 60;

  const routes = (): RouteTarget[] => [
    { app: 'dozy', hostnames: ['dozy.localhost'], dynos: [], maintenance: false, asleep: true },
    { app: 'awake', hostnames: ['awake.localhost'], dynos: [{ name: 'web.1', port: dynoPort }], maintenance: false },
  ];

  /** As EcoSleep.wake: concurrent requests share one wake that takes 300 ms. */
  const wake = (app: string): Promise<Awake> => {
    asked.push(app);
    if (failWith) return Promise.reject(new WakeError(failWith));
    waking ??= new Promise<Awake>((resolve) => {
      wakes += 1;
      setTimeout(() => resolve({ dyno: { name: 'web.1', port: dynoPort } }), 300);
    });
    const woken = waking;
    return gate ? gate.then(() => woken) : woken;
  };

  beforeAll(async () => {
    dyno = createServer((req, res) => {
      // An app cannot pass its own answer off as the router's: error code, wake time or dyno.
      if (req.url === '/spoof') {
        res.setHeader('X-Plat-Error', 'H12');
        res.setHeader('X-Plat-Wake', '9.9');
        res.setHeader('X-Plat-Dyno', 'web.9');
      }
      // nginx's $upstream_http_x_plat_error matches X_Plat_Error too.
      if (req.url === '/spoof-underscore') {
        res.setHeader('X_Plat_Error', 'H12');
        res.setHeader('x_plat_wake', '9.9');
        res.setHeader('X_PLAT_DYNO', 'web.9');
      }
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () =>
        res.end(
          `hello from the dyno: ${req.method} ${req.url} ${body} ` +
            `app=${req.headers['x-plat-app'] ?? '-'}${req.headers['x-plat-wake-secret'] ? ' SECRET' : ''}\n`,
        ),
      );
    });
    // A WebSocket-like upgrade: the dyno switches protocols and echoes.
    dyno.on('upgrade', (req, socket: Socket) => {
      // An app answering an upgrade with the router's headers, some folded, some as nginx also reads them.
      const spoof =
        req.url === '/spoof-socket'
          ? 'X-Plat-Error: H12\r\n\tH10\r\nx-plat-wake: 9.9\r\nX_Plat_Dyno: web.9\r\nX-Kept: yes\r\n'
          : '';
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n${spoof}\r\n`);
      socket.on('data', (chunk) => socket.write(chunk));
      socket.on('end', () => socket.end());
    });
    await new Promise<void>((resolve) => dyno.listen(0, '127.0.0.1', resolve));
    dynoPort = (dyno.address() as { port: number }).port;
    port = await freePort();
    const endpoint = wakeEndpoint(dir);
    router = new NginxRouter({ dir, listenHost: '127.0.0.1', port, wake: { ...endpoint, holdSeconds: 20 } });
    listener = new WakeListener({
      ...endpoint,
      wake,
      timeoutSeconds: 5,
      maxBodyBytes: 1024 * 1024,
      maxHeldPerApp: HELD_MAX,
      ...(router.workerGid() !== undefined ? { workerGid: router.workerGid()! } : {}),
    });
    await listener.listen();
    logs = new RouterLogFiles({ dir: router.logDir, reopen: () => router.reopenLogs() });
    await router.apply(routes());
  });
  afterAll(async () => {
    await listener?.close();
    await router?.stop();
    dyno?.closeAllConnections();
    await new Promise((resolve) => dyno?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const lines = (app: string) => logs.recent(app, 500).map((entry) => entry.line);

  it('holds a burst of requests through one wake and answers each with the dyno', async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => get(port, 'dozy.localhost', `/burst/${i}`, { timeoutMs: 15_000 })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200));
    for (const [i, answer] of answers.entries()) {
      expect(answer.body).toBe(`hello from the dyno: GET /burst/${i}  app=-\n`);
    }
    expect(wakes).toBe(1);
    expect(new Set(asked)).toEqual(new Set(['dozy']));
    // The router's own headers stay between nginx and platd; the app's pass as they were.
    expect(answers[0]!.headers['x-plat-wake']).toBeUndefined();
    expect(answers[0]!.headers['x-plat-dyno']).toBeUndefined();
    expect(answers[0]!.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    const burst = await until(
      'the 50 request lines',
      async () => {
        const found = lines('dozy').filter((line) => line.includes('path="/burst/'));
        return found.length === 50 && found;
      },
      10_000,
    );
    for (const line of burst) expect(line).toMatch(/^at=info .* dyno=web\.1 .* status=200 bytes=\d+ wake=0\.\ds$/);
  });

  it('passes a request body and ignores an X-Plat-App the client sends', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/form',
          method: 'POST',
          headers: { host: 'dozy.localhost', 'x-plat-app': 'awake', 'content-type': 'text/plain' },
        },
        (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end('name=plat');
    });
    expect(answer).toEqual({ status: 200, body: 'hello from the dyno: POST /form name=plat app=-\n' });
    expect(asked.at(-1)).toBe('dozy');
  });

  it('keeps an app from writing a wake time or another dyno into its lines, asleep or awake', async () => {
    const woken = await get(port, 'dozy.localhost', '/spoof');
    expect(woken.headers['x-plat-error']).toBeUndefined();
    const direct = await get(port, 'awake.localhost', '/spoof');
    expect(direct.status).toBe(200);
    const dozy = await until(
      'the dozy /spoof line',
      async () => lines('dozy').find((l) => l.includes('/spoof')),
      10_000,
    );
    expect(dozy).toMatch(/^at=info .* dyno=web\.1 .* status=200 bytes=\d+ wake=0\.\ds$/);
    const awake = await until('the awake /spoof line', async () => lines('awake').find((l) => l.includes('/spoof')));
    expect(awake).toMatch(/^at=info .* dyno=web\.1 .* status=200 bytes=\d+$/);
    // Spelled with underscores, which nginx's variables read as the same headers.
    const underscored = await get(port, 'dozy.localhost', '/spoof-underscore');
    expect(underscored.status).toBe(200);
    for (const name of ['x_plat_error', 'x_plat_wake', 'x_plat_dyno', 'x-plat-error'])
      expect(underscored.headers[name]).toBeUndefined();
    const line = await until('the dozy /spoof-underscore line', async () =>
      lines('dozy').find((l) => l.includes('/spoof-underscore')),
    );
    expect(line).toMatch(/^at=info .* dyno=web\.1 .* status=200 bytes=\d+ wake=0\.\ds$/);
  });

  it('keeps an app from writing router headers into its answer to an upgrade', async () => {
    const { headers, echoed } = await new Promise<{ headers: Record<string, unknown>; echoed: string }>(
      (resolve, reject) => {
        const req = request({
          host: '127.0.0.1',
          port,
          path: '/spoof-socket',
          headers: { host: 'dozy.localhost', connection: 'Upgrade', upgrade: 'echo' },
        });
        req.on('upgrade', (res, socket) => {
          socket.once('data', (chunk) => {
            socket.destroy();
            resolve({ headers: res.headers, echoed: chunk.toString() });
          });
          socket.write('ping');
        });
        req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
        req.on('error', reject);
        req.end();
      },
    );
    expect(echoed).toBe('ping');
    expect(headers['x-kept']).toBe('yes');
    for (const name of ['x-plat-error', 'x-plat-wake', 'x-plat-dyno', 'x_plat_dyno'])
      expect(headers[name]).toBeUndefined();
    const line = await until(
      'the dozy /spoof-socket line',
      async () => lines('dozy').find((l) => l.includes('/spoof-socket')),
      10_000,
    );
    expect(line).toMatch(
      /^at=info method=GET path="\/spoof-socket" .* dyno=web\.1 .* status=101 bytes=\d+ wake=0\.\ds$/,
    );
  });

  it('answers H11 at once past the requests it holds for one app, and serves those it holds', async () => {
    let open!: () => void;
    gate = new Promise<void>((resolve) => (open = resolve));
    const before = asked.length;
    try {
      const held = Array.from({ length: HELD_MAX }, (_, i) =>
        get(port, 'dozy.localhost', `/held/${i}`, { timeoutMs: 15_000 }),
      );
      await until('the held requests', async () => asked.length - before === HELD_MAX, 10_000);
      const started = Date.now();
      const refused = await get(port, 'dozy.localhost', '/too-many');
      expect(Date.now() - started).toBeLessThan(2000);
      expect(refused.status).toBe(503);
      expect(refused.headers['x-plat-error']).toBe('H11');
      expect(refused.body).toBe(
        `H11: backlog too deep: dozy is waking with ${HELD_MAX} requests held already; try again shortly\n`,
      );
      // The refused request never asked for a wake.
      expect(asked.length - before).toBe(HELD_MAX);
      open();
      const answers = await Promise.all(held);
      expect(answers.map((answer) => answer.status)).toEqual(Array(HELD_MAX).fill(200));
      const line = await until('the /too-many line', async () => lines('dozy').find((l) => l.includes('/too-many')));
      expect(line).toMatch(/^at=error code=H11 method=GET path="\/too-many" .* status=503 /);
      // Once they are answered, the count is back to none.
      expect((await get(port, 'dozy.localhost', '/after')).status).toBe(200);
    } finally {
      open();
      gate = undefined;
    }
  });

  it('joins an upgrade (WebSocket) to the dyno once awake', async () => {
    const echoed = await new Promise<string>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port,
        path: '/socket',
        headers: { host: 'dozy.localhost', connection: 'Upgrade', upgrade: 'echo' },
      });
      req.on('upgrade', (res, socket) => {
        expect(res.statusCode).toBe(101);
        socket.once('data', (chunk) => {
          socket.destroy();
          resolve(chunk.toString());
        });
        socket.write('ping');
      });
      req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
    expect(echoed).toBe('ping');
  });

  it('answers a failed boot with its code, in the answer and the line', async () => {
    failWith = 'R10: web.1 did not answer on $PORT within 60 s';
    try {
      const answer = await get(port, 'dozy.localhost', '/broken');
      expect(answer.status).toBe(503);
      expect(answer.headers['x-plat-error']).toBe('R10');
      expect(answer.body).toBe('R10: web.1 did not answer on $PORT within 60 s\n');
      const line = await until('the /broken line', async () => lines('dozy').find((l) => l.includes('/broken')));
      expect(line).toMatch(/^at=error code=R10 method=GET path="\/broken" .* status=503 /);
    } finally {
      failWith = undefined;
    }
  });

  it('refuses a request to its socket without nginx’s secret', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { socketPath: join(dir, 'wake.sock'), path: '/', headers: { 'x-plat-app': 'dozy', 'x-plat-wake-secret': 'x' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('answers H99 while platd is not there to wake the app', async () => {
    await listener.close();
    const answer = await get(port, 'dozy.localhost', '/');
    expect(answer.status).toBe(503);
    expect(answer.headers['x-plat-error']).toBe('H99');
    expect(answer.body).toMatch(/^H99: dozy is asleep/);
  });
});

describe("the router's headers in a dyno's answer to an upgrade", () => {
  const own = { 'x-plat-wake': '1.2', 'x-plat-dyno': 'web.1' };

  it('drops them in any spelling, with their folded lines, and adds the listener’s own', () => {
    const head = [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'X-PLAT-ERROR: H12',
      ' H10',
      'x_plat_wake : 9.9',
      'Sec-WebSocket-Accept: abc',
      '\tfolded onto accept',
      'X-Plat-Dyno: web.9',
    ].join('\r\n');
    expect(routerHead(head, own)).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: abc\r\n' +
        '\tfolded onto accept\r\nx-plat-wake: 1.2\r\nx-plat-dyno: web.1\r\n\r\n',
    );
  });

  it('keeps a head with none of them as it was', () => {
    expect(routerHead('HTTP/1.1 101 Switching Protocols\r\nX-Platform: a', {})).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nX-Platform: a\r\n\r\n',
    );
  });
});
