/**
 * The router's request log with a real nginx in front of a small HTTP server
 * standing in for a dyno: nginx writes the lines, RouterLogFiles reads,
 * follows and rotates them. No Docker needed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get } from '../../../../test/support/http.js';
import { freePort } from '../../../../test/support/ports.js';
import { until } from '../../../../test/support/until.js';
import { NginxRouter } from '../router/nginx.js';
import type { LogLine } from './log-line.js';
import { RouterLogFiles } from './router-log.js';

describe('router request log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plat-router-log-'));
  let dyno: Server;
  let router: NginxRouter;
  let logs: RouterLogFiles;
  let port: number;

  beforeAll(async () => {
    dyno = createServer((req, res) => {
      // An app cannot pass its own answer off as a router error.
      if (req.url === '/spoof') res.setHeader('X-Plat-Error', 'H12');
      res.setHeader('X-Seen-Request-Id', String(req.headers['x-request-id']));
      res.end('hello from the dyno\n');
    });
    await new Promise<void>((resolve) => dyno.listen(0, '127.0.0.1', resolve));
    const dynoPort = (dyno.address() as { port: number }).port;
    port = await freePort();
    router = new NginxRouter({ dir, listenHost: '127.0.0.1', port });
    // rotateBytes 1: any written file is due for rotation when asked.
    logs = new RouterLogFiles({ dir: router.logDir, reopen: () => router.reopenLogs(), rotateBytes: 1 });
    await router.apply([
      { app: 'hello', hostnames: ['hello.localhost'], dynos: [{ name: 'web.3', port: dynoPort }], maintenance: false },
      { app: 'idle', hostnames: ['idle.localhost'], dynos: [], maintenance: false },
    ]);
  });
  afterAll(async () => {
    logs?.stop();
    await router?.stop();
    await new Promise((resolve) => dyno?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const lines = (app: string, count = 100) => logs.recent(app, count).map((entry) => entry.line);

  it('writes one line per request to the app’s file, naming the dyno', async () => {
    expect((await get(port, 'hello.localhost', '/a?q="quoted"')).status).toBe(200);
    const [line] = await until('the request line', async () => lines('hello').length > 0 && lines('hello'), 10_000);
    expect(line).toMatch(
      new RegExp(
        /^at=info method=GET path="\/a\?q=\\x22quoted\\x22" host=hello\.localhost request_id=\w{32} /.source +
          /fwd="127\.0\.0\.1" dyno=web\.3 connect=\d+ms service=\d+ms status=200 bytes=\d+$/.source,
      ),
    );
    expect(lines('idle')).toEqual([]);
  });

  it('keeps an app from putting a router error code in its lines', async () => {
    const answer = await get(port, 'hello.localhost', '/spoof');
    expect(answer.headers['x-plat-error']).toBeUndefined();
    const line = await until(
      'the /spoof line',
      async () => lines('hello').find((entry) => entry.includes('path="/spoof"')),
      10_000,
    );
    expect(line).toMatch(/^at=info method=GET path="\/spoof" .* status=200 /);
  });

  it('passes a client’s well-formed request id through to the dyno and its line, and replaces any other', async () => {
    const own = 'c0ffee+trace/id=0042-abcdef';
    const passed = await get(port, 'hello.localhost', '/traced', { headers: { 'x-request-id': own } });
    expect(passed.headers['x-seen-request-id']).toBe(own);
    const replaced = await Promise.all(
      ['short', 'x'.repeat(201), 'has spaces in it, twenty plus'].map((id) =>
        get(port, 'hello.localhost', '/untraced', { headers: { 'x-request-id': id } }),
      ),
    );
    for (const answer of replaced) expect(answer.headers['x-seen-request-id']).toMatch(/^[0-9a-f]{32}$/);
    const line = await until(
      'the /traced line',
      async () => lines('hello').find((entry) => entry.includes('path="/traced"')),
      10_000,
    );
    expect(line).toContain(` request_id=${own} `);
    const generated = await until(
      'the /untraced lines',
      async () => {
        const found = lines('hello').filter((entry) => entry.includes('path="/untraced"'));
        return found.length === 3 && found;
      },
      10_000,
    );
    expect(generated.map((entry) => /request_id=(\S+)/.exec(entry)?.[1]).sort()).toEqual(
      replaced.map((answer) => answer.headers['x-seen-request-id']).sort(),
    );
  });

  it('logs an app without web dynos with H14, and nothing for unknown hosts', async () => {
    expect((await get(port, 'idle.localhost', '/')).status).toBe(503);
    expect((await get(port, 'nope.localhost', '/')).status).toBe(404);
    const [line] = await until('the H14 line', async () => lines('idle').length > 0 && lines('idle'), 10_000);
    expect(line).toMatch(
      /^at=error code=H14 method=GET path="\/" host=idle\.localhost .* dyno=- connect=- service=- status=503 /,
    );
    expect(readdirSync(router.logDir).sort()).toEqual(['hello.log', 'idle.log']);
  });

  it('follows new lines across a rotation and keeps the previous file', async () => {
    const seen: LogLine[] = [];
    const stop = logs.follow('hello', (entry) => seen.push(entry));
    try {
      await get(port, 'hello.localhost', '/before-rotation');
      await until(
        'the line before rotation',
        async () => seen.some((entry) => entry.line.includes('/before-rotation')),
        10_000,
      );
      logs.rotate();
      expect(readdirSync(router.logDir)).toContain('hello.log.1');
      await until(
        'nginx to write the new file',
        async () => {
          await get(port, 'hello.localhost', '/after-rotation');
          return readFileSync(join(router.logDir, 'hello.log'), 'utf8').includes('/after-rotation');
        },
        10_000,
      );
      await until(
        'the follower to see the line after rotation',
        async () => seen.some((entry) => entry.line.includes('/after-rotation')),
        10_000,
      );
    } finally {
      stop();
    }
    const all = lines('hello');
    expect(all[0]).toContain('path="/a?q=');
    expect(all.findIndex((line) => line.includes('/before-rotation'))).toBeLessThan(
      all.findIndex((line) => line.includes('/after-rotation')),
    );
    expect(seen.filter((entry) => entry.line.includes('/before-rotation'))).toHaveLength(1);
  });

  it('moves a renamed app’s files and forgets a destroyed app’s', () => {
    const before = lines('hello');
    logs.rename('hello', 'hello-again');
    expect(lines('hello-again')).toEqual(before);
    expect(lines('hello')).toEqual([]);
    logs.remove('hello-again');
    expect(readdirSync(router.logDir).filter((name) => name.startsWith('hello'))).toEqual([]);
  });
});
