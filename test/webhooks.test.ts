/**
 * App webhooks and alerts end to end, with a real platd and the plat CLI: a
 * receiver on loopback (PLAT_WEBHOOKS_ALLOW_PRIVATE) gets signed api:release
 * events and, after it first answers 500, the retry; plat webhooks:deliveries
 * shows both answers. A certificate within 14 days of its end opens an
 * alert: in plat alerts, in the app's log and as an alert event; removing
 * it resolves the alert.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeChain } from '../apps/api/src/testing/certificates.js';
import { verifySignature } from '../apps/api/src/webhooks/signature.js';
import { startPlatd, type Platd } from './support/platd.js';
import { until } from './support/until.js';

const DAY = 86_400_000;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  json: {
    id: string;
    resource: string;
    action: string;
    data: Record<string, unknown>;
    webhook_metadata: { delivery: { id: string }; webhook: { id: string }; event: { include: string } };
  };
  status: number;
}

let platd: Platd;
let repo: string;
let http: Server;
let receiverUrl: string;
const received: Received[] = [];

const plat = (args: string[]) => platd.plat(args, { cwd: repo });
async function ok(args: string[]): Promise<string> {
  const result = await plat(args);
  expect(result.code, `plat ${args.join(' ')}:\n${result.output}`).toBe(0);
  return result.stdout;
}

beforeAll(async () => {
  // The receiver answers 500 the first time, 200 from then on.
  http = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk));
    request.on('end', () => {
      const status = received.length === 0 ? 500 : 200;
      received.push({ headers: request.headers, body, json: JSON.parse(body), status });
      response.statusCode = status;
      response.end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/hooks`;
  platd = await startPlatd({
    env: { PLAT_WEBHOOKS_ALLOW_PRIVATE: '1', PLAT_WEBHOOK_RETRY_BASE_MS: '500', PLAT_ALERT_CHECK_SECONDS: '1' },
  });
  // An app with nothing to run: the push makes release v2 (v1 is "Initial release") with an image, and no dyno starts.
  repo = mkdtempSync(join(dirname(platd.dataDir), 'hooks-'));
  writeFileSync(join(repo, 'Procfile'), 'worker: sleep 3600\n');
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['add', '-A'],
    ['commit', '-q', '-m', 'a worker'],
  ]) {
    const result = await platd.git(args, repo);
    expect(result.code, result.output).toBe(0);
  }
  await ok(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken]);
  await ok(['apps:create', 'hooks']);
  const push = await platd.git(['push', 'platform', 'main'], repo);
  expect(push.code, push.output).toBe(0);
}, 600_000);

afterAll(async () => {
  await platd?.destroy();
  await new Promise((resolve) => http?.close(resolve));
});

describe('app webhooks', () => {
  it('refuses unknown event types and other schemes, adding nothing', async () => {
    const unknown = await plat(['webhooks:add', '--url', receiverUrl, '--include', 'api:release,api:nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Unknown event type "api:nope"');
    const file = await plat(['webhooks:add', '--url', 'file:///etc/passwd', '--include', 'api:release']);
    expect(file.code).toBe(1);
    expect(file.stderr).toContain('must be http:// or https://');
    expect((await ok(['webhooks'])).trim()).toBe(
      'hooks has no webhooks (plat webhooks:add --url URL --include api:release).',
    );
  });

  it('delivers a signed api:release event for a config change, and retries it after a 500', async () => {
    const added = JSON.parse(
      await ok([
        'webhooks:add',
        '--url',
        receiverUrl,
        '--include',
        'api:release,api:build,dyno,api:addon',
        '--secret',
        'S3cret',
        '--json',
      ]),
    );
    expect(added).toMatchObject({ url: receiverUrl, include: ['api:release', 'api:build', 'api:addon', 'dyno'] });
    expect(added.secret).toBeNull();
    expect(await ok(['webhooks'])).toContain(added.id);

    await ok(['config:set', 'GREETING=hi']);
    // v3's create (pending) and update (succeeded); whichever went first got the 500, then its retry a 200.
    await until('both release events delivered', async () => {
      const delivered = received.filter((entry) => entry.status === 200 && entry.json.resource === 'release');
      return delivered.length >= 2 && received.length >= 3;
    });
    for (const entry of received) {
      const signature = entry.headers['plat-webhook-hmac-sha256'] as string;
      expect(verifySignature(entry.body, 'S3cret', signature)).toBe(true);
      expect(entry.headers['heroku-webhook-hmac-sha256']).toBe(signature);
      expect(entry.json.webhook_metadata.webhook.id).toBe(added.id);
    }
    const [first] = received;
    expect(first!.status).toBe(500);
    const retry = received.find((entry, index) => index > 0 && entry.json.id === first!.json.id);
    expect(retry, 'the retry of the first delivery').toBeDefined();
    expect(retry!.status).toBe(200);
    expect(retry!.json.webhook_metadata.delivery.id).toBe(first!.json.webhook_metadata.delivery.id);
    const update = received.find((entry) => entry.json.action === 'update')!;
    expect(update.json).toMatchObject({
      resource: 'release',
      action: 'update',
      actor: { email: 'admin@plat.local' },
      data: { status: 'succeeded', description: 'Set GREETING', app: { name: 'hooks' } },
      webhook_metadata: { event: { include: 'api:release' } },
    });

    // platd records an attempt once it has the answer, a moment after the receiver counted the request.
    // Waited for until settled (neither pending nor retrying), so a failed delivery fails the assertions below.
    const settled = (delivery: { status: string }) => !['pending', 'retrying'].includes(delivery.status);
    const deliveries = await until('both deliveries settled', async () => {
      const listed = JSON.parse(await ok(['webhooks:deliveries', '--json'])) as { status: string; codes: number[] }[];
      return listed.length >= 2 && listed.every(settled) && listed;
    });
    expect(deliveries).toHaveLength(2);
    expect(deliveries.map((delivery) => delivery.codes).sort()).toEqual([[200], [500, 200]]);
    expect(deliveries.every((delivery) => delivery.status === 'succeeded')).toBe(true);
    const table = await ok(['webhooks:deliveries']);
    expect(table).toMatch(/api:release\s+succeeded\s+2\s+500 200/);
    expect(table).toMatch(/api:release\s+succeeded\s+1\s+200/);

    await ok(['webhooks:remove', added.id]);
    expect(await ok(['webhooks'])).toContain('hooks has no webhooks');
  });
});

describe('alerts', () => {
  it('opens an alert for a certificate within 14 days of its end, says it once, and resolves it', async () => {
    const added = await ok(['webhooks:add', '-u', receiverUrl, '-i', 'alert']);
    const secret = added.match(/^([0-9a-f]{64})$/m)?.[1];
    expect(secret, added).toBeDefined();
    const before = received.length;
    // A platform alert (this machine's disk) goes to every app's webhooks too: only the certificate's count.
    const isCertAlert = (entry: (typeof received)[number]) =>
      entry.json.resource === 'alert' && entry.json.data.kind === 'cert_expiring';

    const chain = await makeChain({
      name: 'hooks',
      hostnames: ['hooks.localhost'],
      notAfter: new Date(Date.now() + 10 * DAY),
    });
    const dir = dirname(platd.dataDir);
    writeFileSync(join(dir, 'hooks.crt'), chain.leaf.pem + chain.intermediate.pem);
    writeFileSync(join(dir, 'hooks.key'), chain.leaf.keyPem, { mode: 0o600 });
    const cert = JSON.parse(await ok(['certs:add', join(dir, 'hooks.crt'), join(dir, 'hooks.key'), '--json']));

    // Only the app's own: a platform alert (this machine's disk) may be listed beside it.
    const appAlerts = async (flags: string[] = []) =>
      (
        JSON.parse(await ok(['alerts', '-a', 'hooks', '--json', ...flags])) as { app: unknown; message: string }[]
      ).filter((alert) => alert.app !== null);
    const [alert] = await until('the alert', async () => {
      const open = await appAlerts();
      return open.length > 0 && open;
    });
    expect(alert).toMatchObject({
      app: { name: 'hooks' },
      kind: 'cert_expiring',
      subject: 'hooks.localhost',
      state: 'open',
      resolved_at: null,
    });
    expect(alert!.message).toMatch(/^The certificate for hooks\.localhost expires in (9|10) day\(s\)/);
    expect(await ok(['alerts'])).toMatch(/hooks\s+cert_expiring\s+hooks\.localhost\s+open/);

    const event = await until('the alert event', async () => received.slice(before).find(isCertAlert));
    expect(verifySignature(event.body, secret!, event.headers['plat-webhook-hmac-sha256'] as string)).toBe(true);
    expect(event.json).toMatchObject({ action: 'create', data: { kind: 'cert_expiring', state: 'open' } });

    // Said once, though the check runs every second.
    await until('the alert in the log', async () =>
      (await ok(['logs', '-n', '500'])).includes('plat[alerts]: ALERT cert_expiring hooks.localhost'),
    );
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const log = await ok(['logs', '-n', '500']);
    expect(log.match(/ALERT cert_expiring/g)).toHaveLength(1);
    expect(received.slice(before).filter(isCertAlert)).toHaveLength(1);

    await ok(['certs:remove', cert.id]);
    await until('the alert resolved', async () => (await appAlerts()).length === 0);
    const all = await appAlerts(['--all']);
    expect(all).toEqual([expect.objectContaining({ kind: 'cert_expiring', state: 'resolved' })]);
    await until('the resolution in the log and as an event', async () => {
      const logged = (await ok(['logs', '-n', '500'])).includes('RESOLVED cert_expiring hooks.localhost');
      const sent = received.some((entry) => isCertAlert(entry) && entry.json.action === 'update');
      return logged && sent;
    });
  });
});
