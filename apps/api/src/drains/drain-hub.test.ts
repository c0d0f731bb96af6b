/**
 * The hub over a real state database and log hub: a drain gets the app's
 * stored lines and its router lines from the moment it is added, follows the
 * app through a rename, and stops with its removal.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../logs/log-line.js';
import { backends } from '../testing/backends.js';
import { startTestPlatform, type TestPlatform } from '../testing/platform.js';
import { DrainHub } from './drain-hub.js';
import type { DrainSender } from './drain-sender.js';
import type { DrainTarget } from './drain-url.js';
import { routerLine } from '../testing/router-lines.js';

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('DrainHub', () => {
  let t: TestPlatform;
  let hub: DrainHub;
  const sent: { url: string; lines: string[] }[] = [];
  const closed: string[] = [];
  const linesTo = (url: string) => sent.filter((s) => s.url === url).flatMap((s) => s.lines);

  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: object) => {
    const response = await t.server.inject({
      method,
      url,
      headers: { authorization: `Bearer ${t.adminToken}` },
      ...(body ? { payload: body } : {}),
    });
    return JSON.parse(response.body || 'null');
  };

  beforeAll(async () => {
    t = await startTestPlatform(backends[0]!);
    // The platform's own hub would connect for real: this one records instead.
    t.platform.drains.stop();
    hub = new DrainHub({
      sql: t.platform.sql,
      logs: t.platform.logs,
      settings: { allowPrivate: true },
      log: () => {},
      senderFor: (target: DrainTarget): DrainSender => ({
        send: async (lines: readonly LogLine[]) => {
          sent.push({ url: target.url, lines: lines.map((l) => `${l.source}[${l.dyno}]: ${l.line}`) });
        },
        close: () => closed.push(target.url),
      }),
    });
    await hub.start();
    await call('POST', '/v1/apps', { name: 'drained' });
  });
  afterAll(async () => {
    hub?.stop();
    await t?.close();
  });

  it("hands each drain every line of the app's log, router lines included, in order", async () => {
    const drain = await call('POST', '/v1/apps/drained/log-drains', { url: 'syslog://logs.example.com' });
    await hub.sync();
    const appId = t.platform.logs.idOf('drained') ?? (await call('GET', '/v1/apps/drained')).id;
    for (let n = 1; n <= 3; n += 1) t.platform.logs.write(appId, { source: 'app', dyno: 'web.1', line: `hello ${n}` });
    await until('the app lines', () => linesTo(drain.url).length >= 3);
    expect(linesTo(drain.url)).toEqual(['app[web.1]: hello 1', 'app[web.1]: hello 2', 'app[web.1]: hello 3']);

    mkdirSync(t.platform.routerLogs.dir, { recursive: true });
    appendFileSync(t.platform.routerLogs.pathOf('drained'), routerLine('/first'));
    appendFileSync(t.platform.routerLogs.pathOf('drained'), routerLine('/second'));
    const router = await until('the router lines', () => {
      const found = linesTo(drain.url).filter((l) => l.startsWith('router[router]'));
      return found.length >= 2 && found;
    });
    expect(router[0]).toMatch(/path="\/first"/);
    expect(router[1]).toMatch(/path="\/second"/);
  });

  it('follows a renamed app, and stops delivering to a removed drain', async () => {
    const [drain] = await call('GET', '/v1/apps/drained/log-drains');
    await call('PATCH', '/v1/apps/drained', { name: 'renamed' });
    await hub.sync();
    const before = linesTo(drain.url).length;
    appendFileSync(t.platform.routerLogs.pathOf('renamed'), routerLine('/after-rename'));
    await until('the router line under the new name', () =>
      linesTo(drain.url)
        .slice(before)
        .some((l) => l.includes('/after-rename')),
    );

    await call('DELETE', `/v1/apps/renamed/log-drains/${drain.token}`);
    await hub.sync();
    expect(closed).toContain(drain.url);
    expect(hub.lastError(drain.id)).toBeUndefined();
  });
});
