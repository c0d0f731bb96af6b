/**
 * The router's reload costs with real nginx: a burst of applies is one
 * reload, and a change of answers alone (web dynos, maintenance, H14) skips the screening `nginx -t`
 * (hostnames and certificates, what the screen protects, are unchanged).
 * No Docker needed.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { get } from '../../../../test/support/http.js';
import { freePort } from '../../../../test/support/ports.js';
import { requestLoop } from '../../../../test/support/request-loop.js';
import { NginxRouter } from './nginx.js';
import { workersOf } from './nginx-workers.js';
import type { RouteTarget } from './router.js';

describe('router reloads', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'plat-reload-'));
  const calls = join(dataDir, 'nginx-calls');
  const dynos: Server[] = [];
  const ports: number[] = [];
  let router: NginxRouter;
  let port: number;

  /** `nginx -t` runs (config checks) so far. */
  const checks = () =>
    readFileSync(calls, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('-t ')).length;
  const route = (app: string, dynoPorts: number[], hostnames = [`${app}.localhost`]): RouteTarget => ({
    app,
    hostnames,
    dynos: dynoPorts.map((dynoPort, index) => ({ name: `web.${index + 1}`, port: dynoPort })),
    maintenance: false,
  });

  beforeAll(async () => {
    for (const name of ['one', 'two']) {
      const dyno = createServer((_req, res) => res.end(`dyno ${name}\n`));
      await new Promise<void>((resolve) => dyno.listen(0, '127.0.0.1', resolve));
      dynos.push(dyno);
      ports.push((dyno.address() as { port: number }).port);
    }
    // nginx, noting each call's arguments: how many checks a change cost.
    const binary = join(dataDir, 'nginx');
    writeFileSync(binary, `#!/bin/sh\necho "$@" >> ${calls}\nexec nginx "$@"\n`);
    chmodSync(binary, 0o755);
    writeFileSync(calls, '');
    port = await freePort();
    router = new NginxRouter({
      dir: join(dataDir, 'router'),
      listenHost: '127.0.0.1',
      port,
      nginxBinary: binary,
      // No wake listener behind it: an asleep app's answer is then platd's-down H99.
      wake: { socket: join(dataDir, 'wake.sock'), secret: 'reload-test-secret', holdSeconds: 5 },
    });
    await router.apply([route('a', [ports[0]!]), route('b', [ports[0]!])]);
  });
  afterAll(async () => {
    await router?.stop();
    for (const dyno of dynos) await new Promise((resolve) => dyno.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('skips the screening nginx -t when only answers changed, and screens hostnames', async () => {
    const before = checks();
    await router.apply([route('a', [ports[1]!]), route('b', [ports[0]!, ports[1]!])]);
    expect(checks()).toBe(before);
    expect((await get(port, 'a.localhost', '/')).body).toBe('dyno two\n');
    // A hostname is what nginx may refuse: screened.
    await router.apply([route('a', [ports[1]!], ['a.localhost', 'x.*.bad.example']), route('b', [ports[0]!])]);
    expect(checks()).toBeGreaterThan(before);
    expect((await get(port, 'a.localhost', '/')).body).toBe('dyno two\n');
    // No web dynos (H14), maintenance and asleep are fixed answers inside servers already checked: not screened.
    await router.apply([route('a', [ports[1]!]), route('b', [ports[0]!])]);
    const settled = checks();
    await router.apply([{ ...route('a', []), asleep: true }, route('b', [ports[0]!])]);
    expect((await get(port, 'a.localhost', '/')).headers['x-plat-error']).toBe('H99');
    await router.apply([route('a', []), route('b', [ports[0]!])]);
    expect((await get(port, 'a.localhost', '/')).headers['x-plat-error']).toBe('H14');
    await router.apply([route('a', []), { ...route('b', [ports[0]!]), maintenance: true }]);
    expect((await get(port, 'b.localhost', '/')).headers['x-plat-error']).toBe('H80');
    await router.apply([route('a', [ports[1]!]), route('b', [ports[0]!])]);
    expect((await get(port, 'b.localhost', '/')).body).toBe('dyno one\n');
    expect((await get(port, 'a.localhost', '/')).body).toBe('dyno two\n');
    expect(checks()).toBe(settled);
  });

  it('screens a dyno whose name or port the config cannot take as is', async () => {
    await router.apply([route('a', [ports[0]!]), route('b', [ports[0]!]), route('odd', [ports[0]!])]);
    const before = checks();
    const odd: RouteTarget = { ...route('odd', []), dynos: [{ name: 'web 1;', port: ports[1]! }] };
    await router.apply([route('a', [ports[0]!]), route('b', [ports[0]!]), odd]);
    expect(checks()).toBeGreaterThan(before);
    // The screen leaves out the app nginx cannot take; the others still route.
    expect((await get(port, 'b.localhost', '/')).body).toBe('dyno one\n');
    expect((await get(port, 'odd.localhost', '/')).status).toBe(404);
    // A node address that is no address is screened too.
    const screened = checks();
    const far: RouteTarget = { ...route('odd', []), dynos: [{ name: 'web.1', port: ports[1]!, host: 'x;y' }] };
    await router.apply([route('a', [ports[0]!]), route('b', [ports[0]!]), far]);
    expect(checks()).toBeGreaterThan(screened);
  });

  it('makes one reload of a burst of applies, with the routes asked for last', async () => {
    await router.apply([route('a', [ports[0]!]), route('b', [ports[0]!])]);
    const kill = vi.spyOn(process, 'kill');
    try {
      const burst = [1, 2, 3, 4, 5].map((n) =>
        router.apply([route('a', [ports[n % 2]!]), route('b', [ports[0]!]), route(`c${n}`, [ports[1]!])]),
      );
      await Promise.all(burst);
      // Asked for before the first of them began: all five are one reload, of the last routes.
      expect(kill.mock.calls.filter(([, signal]) => signal === 'SIGHUP')).toHaveLength(1);
      // One under way: those asked for meanwhile wait for it, then are one more.
      kill.mockClear();
      const first = router.apply([route('a', [ports[0]!]), route('b', [ports[0]!]), route('c6', [ports[1]!])]);
      await new Promise((resolve) => setTimeout(resolve, 1));
      const more = [7, 8, 9].map((n) =>
        router.apply([route('a', [ports[1]!]), route('b', [ports[0]!]), route(`c${n}`, [ports[1]!])]),
      );
      await Promise.all([first, ...more]);
      expect(kill.mock.calls.filter(([, signal]) => signal === 'SIGHUP')).toHaveLength(2);
    } finally {
      kill.mockRestore();
    }
    expect((await get(port, 'c9.localhost', '/')).body).toBe('dyno two\n');
    expect((await get(port, 'a.localhost', '/')).body).toBe('dyno two\n');
    expect((await get(port, 'c8.localhost', '/')).status).toBe(404);
  });

  it('stops old workers once new ones take connections: no request lost, none answered by the old route', async () => {
    await router.apply([route('a', [ports[0]!]), route('b', [ports[0]!])]);
    const loop = requestLoop({ port, host: 'a.localhost', clients: 4, maxRequests: 100_000, maxMs: 30_000 });
    const master = router.runningPid()!;
    const serving = () =>
      workersOf(master).filter((pid) => {
        const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return title.includes('worker process') && !title.includes('shutting down');
      });
    const workers = serving().length;
    const signals: string[] = [];
    const kill = vi.spyOn(process, 'kill');
    try {
      for (let n = 1; n <= 6; n += 1) {
        const dyno = n % 2;
        // Apart by more than the master's 100 ms sleep: a SIGHUP within it waits for it to end.
        await new Promise((resolve) => setTimeout(resolve, 120));
        await router.apply([route('a', [ports[dyno]!]), route('b', [ports[0]!])]);
        // Live when apply resolves: no old worker is left to answer from the old route.
        for (let check = 0; check < 5; check += 1)
          expect((await get(port, 'a.localhost', '/')).body).toBe(`dyno ${dyno === 0 ? 'one' : 'two'}\n`);
      }
      signals.push(...kill.mock.calls.map(([, signal]) => String(signal)));
    } finally {
      kill.mockRestore();
    }
    const { requests, failures } = await loop.stop();
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(0);
    // The router, not only the master, told old workers to stop.
    expect(signals.filter((signal) => signal === 'SIGQUIT').length).toBeGreaterThan(0);
    // None respawned: as many workers serve as before (the old ones gone or exiting).
    await router.drained();
    expect(serving()).toHaveLength(workers);
  });
});
