/**
 * Webhook deliveries and alerts on this machine's PostgreSQL server, with a
 * receiver on loopback: signed bodies, a retry after a 500, the address
 * rule, notify's single attempt, and alerts said once.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Alerts } from '../alerts/alerts.js';
import type { LogHub } from '../logs/log-hub.js';
import { backends } from '../testing/backends.js';
import { insertApp, type AppRow } from '../store/apps.js';
import type { Database } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { ensureUser } from '../store/users.js';
import {
  deleteWebhook,
  insertWebhook,
  listDeliveries,
  listWebhooks,
  MAX_WEBHOOKS_PER_APP,
  updateWebhook,
} from '../store/webhooks.js';
import { listAlerts } from '../store/alerts.js';
import { verifySignature } from './signature.js';
import { Webhooks } from './webhooks.js';

const server = backends.find((backend) => backend.name === 'PostgreSQL server')!;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver answering each request with the next status of `answers` (the last one from then on). */
async function receiver(answers: number[]): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const http: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.statusCode = answers[Math.min(received.length - 1, answers.length - 1)]!;
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    close: () => new Promise((resolve) => http.close(() => resolve())),
  };
}

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('webhook deliveries', () => {
  let database: Database;
  let dispose: () => Promise<void>;
  let ownerId: string;
  const started: Webhooks[] = [];

  const webhooks = (allowPrivate = true) => {
    const hooks = new Webhooks({
      sql: database.sql,
      settings: { allowPrivate, retryBaseMs: 100, timeoutMs: 2000 },
      log: () => {},
    });
    hooks.start();
    started.push(hooks);
    return hooks;
  };
  const app = async (name: string): Promise<AppRow> => (await insertApp(database.sql, name, ownerId))!;

  beforeAll(async () => {
    ({ database, dispose } = await server.open());
    await migrate(database.sql);
    ownerId = (await ensureUser(database.sql, 'hooks@example.com', false)).id;
  });
  afterAll(async () => {
    for (const hooks of started) await hooks.stop();
    await dispose?.();
  });

  it('signs each attempt and retries after a 500 until the receiver takes it', async () => {
    const target = await receiver([500, 200]);
    try {
      const shop = await app('shop');
      const hook = (await insertWebhook(database.sql, {
        appId: shop.id,
        url: target.url,
        include: ['api:release', 'dyno'],
        level: 'sync',
        secret: 's3cret',
      }))!;
      const hooks = webhooks();
      hooks.emit({ app: shop, include: 'api:build', action: 'create', data: { id: 'b1' } });
      hooks.emit({
        app: shop,
        include: 'api:release',
        action: 'create',
        data: { id: 'r1', version: 2 },
        actor: { id: ownerId, email: 'hooks@example.com' },
      });
      await until('two attempts', async () => target.received.length >= 2);
      const [first, second] = target.received.map((entry) => ({ ...entry, json: JSON.parse(entry.body) }));
      for (const attempt of [first!, second!]) {
        expect(verifySignature(attempt.body, 's3cret', attempt.headers['plat-webhook-hmac-sha256'] as string)).toBe(
          true,
        );
        expect(attempt.headers['heroku-webhook-hmac-sha256']).toBe(attempt.headers['plat-webhook-hmac-sha256']);
        expect(attempt.json).toMatchObject({
          resource: 'release',
          action: 'create',
          actor: { email: 'hooks@example.com' },
          data: { id: 'r1', version: 2 },
          webhook_metadata: { event: { include: 'api:release' }, webhook: { id: hook.id } },
        });
      }
      // The same event and delivery, another attempt.
      expect(second!.json.id).toBe(first!.json.id);
      expect(second!.json.webhook_metadata.delivery).toEqual(first!.json.webhook_metadata.delivery);
      expect(second!.json.webhook_metadata.attempt).not.toEqual(first!.json.webhook_metadata.attempt);
      const [delivery] = await until('the delivery to succeed', async () => {
        const rows = await listDeliveries(database.sql, shop.id, { limit: 10 });
        return rows[0]?.status === 'succeeded' && rows;
      });
      expect(delivery).toMatchObject({ include: 'api:release', attempts: 2, codes: [500, 200], last_code: 200 });
      // The build event had no webhook that wanted it.
      expect(await listDeliveries(database.sql, shop.id, { limit: 10 })).toHaveLength(1);
    } finally {
      await target.close();
    }
  });

  it('sends nothing to a private address unless allowed, and tries a notify webhook once', async () => {
    const target = await receiver([503]);
    try {
      const blog = await app('blog');
      await insertWebhook(database.sql, {
        appId: blog.id,
        url: target.url,
        include: ['api:release'],
        level: 'notify',
        secret: 'x',
      });
      const hooks = webhooks(false);
      hooks.emit({ app: blog, include: 'api:release', action: 'create', data: { id: 'r1' } });
      const [delivery] = await until('the attempt', async () => {
        const rows = await listDeliveries(database.sql, blog.id, { limit: 10 });
        return rows[0]?.status === 'failed' && rows;
      });
      expect(delivery).toMatchObject({ attempts: 1, codes: [null] });
      expect(delivery!.last_error).toBe('refused: 127.0.0.1 is a private address');
      expect(target.received).toHaveLength(0);
    } finally {
      await target.close();
    }
  });

  it('changes, bounds and removes webhooks', async () => {
    const docs = await app('docs');
    const hook = {
      appId: docs.id,
      url: 'https://a.example.com/',
      include: ['api:release'],
      level: 'sync',
      secret: 's',
    };
    const first = (await insertWebhook(database.sql, hook))!;
    const changed = await updateWebhook(database.sql, docs.id, first.id, { include: ['api:build', 'alert'] });
    expect(changed).toMatchObject({ url: 'https://a.example.com/', include: ['api:build', 'alert'], secret: 's' });
    expect(await updateWebhook(database.sql, docs.id, '00000000-0000-4000-8000-000000000000', { url: 'x' })).toBe(
      undefined,
    );
    for (let i = 1; i < MAX_WEBHOOKS_PER_APP; i += 1) expect(await insertWebhook(database.sql, hook)).toBeDefined();
    expect(await insertWebhook(database.sql, hook)).toBeUndefined();
    expect(await deleteWebhook(database.sql, docs.id, first.id)).toBe(true);
    expect(await deleteWebhook(database.sql, docs.id, first.id)).toBe(false);
    expect(await listWebhooks(database.sql, docs.id)).toHaveLength(MAX_WEBHOOKS_PER_APP - 1);
  });

  it('says an alert once when it opens and once when it resolves, in the log and to alert webhooks', async () => {
    const target = await receiver([200]);
    try {
      const api = await app('api');
      await insertWebhook(database.sql, {
        appId: api.id,
        url: target.url,
        include: ['alert'],
        level: 'sync',
        secret: 'k',
      });
      const lines: string[] = [];
      const logs = { write: (_id: string, entry: { line: string }) => lines.push(entry.line) } as unknown as LogHub;
      const hooks = webhooks();
      const alerts = new Alerts({ sql: database.sql, logs, webhooks: hooks, log: () => {} });
      const alert = { appId: api.id, kind: 'backup_failed' as const, subject: 'postgres-1', message: 'pg_dump failed' };
      await alerts.raise(alert);
      await alerts.raise({ ...alert, message: 'pg_dump failed again' });
      expect(lines).toEqual(['ALERT backup_failed postgres-1: pg_dump failed']);
      const [open] = await listAlerts(database.sql, { appIds: [api.id], resolved: false, limit: 10 });
      expect(open).toMatchObject({ kind: 'backup_failed', message: 'pg_dump failed again', resolved_at: null });
      await alerts.resolve(alert);
      await alerts.resolve(alert);
      expect(lines).toEqual([
        'ALERT backup_failed postgres-1: pg_dump failed',
        'RESOLVED backup_failed postgres-1: pg_dump failed again',
      ]);
      expect(await listAlerts(database.sql, { appIds: [api.id], resolved: false, limit: 10 })).toEqual([]);
      await until('both alert events', async () => target.received.length >= 2);
      const events = target.received.map((entry) => JSON.parse(entry.body));
      expect(events.map((event) => [event.resource, event.action, event.data.state])).toEqual([
        ['alert', 'create', 'open'],
        ['alert', 'update', 'resolved'],
      ]);
      expect(events[0].data).toMatchObject({ app: { name: 'api' }, kind: 'backup_failed', subject: 'postgres-1' });
    } finally {
      await target.close();
    }
  });
});
