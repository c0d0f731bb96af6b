/**
 * Deliveries against real receivers on loopback: a TCP syslog listener, a
 * TLS one and an HTTPS one with their own CA, a port that takes nothing and
 * a listener that never reads.
 */
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../logs/log-line.js';
import { makeCertificate, type TestCertificate } from '../testing/certificates.js';
import { DEFAULT_LIMITS, DrainDelivery, type DeliveryLimits } from './drain-delivery.js';
import { drainSender } from './drain-sender.js';
import { parseDrainUrl } from './drain-url.js';

/** Messages of an octet-counted stream (RFC 6587). */
function octetMessages(data: Buffer): string[] {
  const messages: string[] = [];
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = Number(data.subarray(at, space).toString());
    if (space + 1 + length > data.length) break;
    messages.push(data.subarray(space + 1, space + 1 + length).toString());
    at = space + 1 + length;
  }
  return messages;
}

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const lines = (count: number, dyno = 'web.1'): LogLine[] =>
  Array.from({ length: count }, (_, i) => ({ at: new Date(), source: 'app', dyno, line: `line ${i + 1}` }));

const listening = (server: Server | HttpsServer): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

let ca: TestCertificate;
let leaf: TestCertificate;
const servers: (Server | HttpsServer)[] = [];
const deliveries: DrainDelivery[] = [];

function deliver(url: string, options: { limits?: Partial<DeliveryLimits>; allowPrivate?: boolean } = {}) {
  const reports: string[] = [];
  const delivery = new DrainDelivery({
    token: 'd.test',
    sender: drainSender(parseDrainUrl(url), {
      token: 'd.test',
      allowPrivate: options.allowPrivate ?? true,
      ca: [ca.pem],
      timeoutMs: 300,
    }),
    limits: { ...DEFAULT_LIMITS, maxRetryMs: 200, ...options.limits },
    report: (line) => reports.push(line),
  });
  deliveries.push(delivery);
  return { delivery, reports };
}

beforeAll(async () => {
  ca = await makeCertificate({ name: 'Drain Test CA', ca: true });
  leaf = await makeCertificate({ name: 'drain', hostnames: ['localhost'], ips: ['127.0.0.1'], issuer: ca });
});
afterEach(() => {
  for (const delivery of deliveries.splice(0)) delivery.close();
});
afterAll(async () => {
  for (const server of servers) {
    (server as Server).close();
    (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
  }
});

describe('syslog drains', () => {
  it('receive every line in order, octet counted, over TCP and TLS', async () => {
    for (const scheme of ['syslog', 'syslog+tls'] as const) {
      let received = Buffer.alloc(0);
      const onSocket = (socket: Socket) =>
        socket.on('data', (chunk: Buffer) => {
          received = Buffer.concat([received, chunk]);
        });
      const server =
        scheme === 'syslog' ? createServer(onSocket) : createTlsServer({ cert: leaf.pem, key: leaf.keyPem }, onSocket);
      servers.push(server);
      const port = await listening(server);
      const { delivery } = deliver(`${scheme}://127.0.0.1:${port}`);
      for (const line of lines(300)) delivery.push(line);
      const messages = await until('300 messages', () => {
        const found = octetMessages(received);
        return found.length === 300 && found;
      });
      expect(messages[0]).toMatch(/^<190>1 \S+ d\.test app web\.1 - line 1$/);
      expect(messages.map((m) => m.split(' - ')[1])).toEqual(lines(300).map((l) => l.line));
    }
  });

  it('retry a refused connection; a dead one costs only a bounded queue and an L10 report', async () => {
    const probe = createServer();
    const port = await listening(probe);
    probe.close();
    const { delivery, reports } = deliver(`syslog://127.0.0.1:${port}`, {
      limits: { maxLines: 50, reportEveryMs: 300 },
    });
    const started = performance.now();
    for (const line of lines(1000)) delivery.push(line);
    // Pushing never waits for the drain.
    expect(performance.now() - started).toBeLessThan(1000);
    expect(delivery.queued).toBeLessThanOrEqual(50);
    await until('the failure to show', () => delivery.lastError);
    expect(delivery.lastError).toMatch(/ECONNREFUSED/);
    await until('an L10 report', () => reports.length > 0);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(
      /^Error L10 \(output buffer overflow\): 950 messages dropped since \S+ \(drain d\.test\)$/,
    );

    // The receiver comes up: the newest lines arrive, once.
    let received = Buffer.alloc(0);
    const server = createServer((socket) =>
      socket.on('data', (c: Buffer) => (received = Buffer.concat([received, c]))),
    );
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const messages = await until(
      'the queued lines',
      () => octetMessages(received).length >= 50 && octetMessages(received),
    );
    expect(messages.map((m) => m.split(' - ')[1])).toEqual(
      lines(1000)
        .slice(950)
        .map((l) => l.line),
    );
    await until('the error to clear', () => delivery.lastError === undefined);
  });

  it('time out against a receiver that never reads, without holding up pushes', async () => {
    const held: Socket[] = [];
    const server = createServer((socket) => {
      socket.pause();
      held.push(socket);
    });
    servers.push(server);
    const port = await listening(server);
    const { delivery } = deliver(`syslog://127.0.0.1:${port}`, {
      limits: { maxLines: 200, maxBytes: 64 * 1024 * 1024, batchBytes: 8 * 1024 * 1024 },
    });
    const big = 'x'.repeat(9000);
    // The kernel takes megabytes before a write stalls: keep writing until it does.
    const deadline = Date.now() + 20_000;
    while (!delivery.lastError && Date.now() < deadline) {
      const started = performance.now();
      for (let i = 0; i < 200; i += 1) delivery.push({ at: new Date(), source: 'app', dyno: 'web.1', line: big });
      expect(performance.now() - started).toBeLessThan(500);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(delivery.lastError).toMatch(/timed out/);
    expect(delivery.queued).toBeLessThanOrEqual(200);
    for (const socket of held) socket.destroy();
  });

  it('refuse loopback unless private addresses are allowed', async () => {
    const { delivery } = deliver('syslog://127.0.0.1:9', { allowPrivate: false });
    delivery.push(lines(1)[0]!);
    await until('the refusal', () => delivery.lastError);
    expect(delivery.lastError).toMatch(/loopback or private address \(PLAT_DRAINS_ALLOW_PRIVATE=1 allows it\)/);
  });
});

describe('HTTPS drains', () => {
  it("receive logplex batches in order, with Heroku's headers, and retry a batch the receiver refused", async () => {
    const requests: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
    let refuseNext = true;
    const server = createHttpsServer({ cert: leaf.pem, key: leaf.keyPem }, (request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk));
      request.on('end', () => {
        requests.push({ headers: request.headers, body });
        response.statusCode = refuseNext ? 503 : 204;
        refuseNext = false;
        response.end();
      });
    });
    servers.push(server);
    const port = await listening(server);
    const { delivery } = deliver(`https://user:pa%3Ass@localhost:${port}/logs?app=x`, { limits: { batchLines: 100 } });
    for (const line of lines(250)) delivery.push(line);
    await until(
      'every line',
      () => requests.slice(1).reduce((n, r) => n + Number(r.headers['logplex-msg-count']), 0) === 250,
    );
    const [refused, retried] = requests;
    expect(refused!.headers['logplex-frame-id']).toBe(retried!.headers['logplex-frame-id']);
    expect(retried!.headers).toMatchObject({
      'content-type': 'application/logplex-1',
      'logplex-msg-count': '100',
      'logplex-drain-token': 'd.test',
      authorization: `Basic ${Buffer.from('user:pa:ss').toString('base64')}`,
      host: `localhost:${port}`,
    });
    const messages = requests.slice(1).flatMap((r) => octetMessages(Buffer.from(r.body)));
    expect(messages[0]).toMatch(/^<190>1 \S+ host app web\.1 - line 1\n$/);
    expect(messages.map((m) => m.trimEnd().split(' - ')[1])).toEqual(lines(250).map((l) => l.line));
    expect(new Set(requests.slice(1).map((r) => r.headers['logplex-frame-id'])).size).toBe(3);
  });

  it('refuse a server whose certificate the CAs do not vouch for', async () => {
    const stranger = await makeCertificate({ name: 'stranger', ips: ['127.0.0.1'] });
    const server = createHttpsServer({ cert: stranger.pem, key: stranger.keyPem }, (_request, response) =>
      response.end(),
    );
    servers.push(server);
    const port = await listening(server);
    const { delivery } = deliver(`https://127.0.0.1:${port}/`);
    delivery.push(lines(1)[0]!);
    await until('the failure', () => delivery.lastError);
    expect(delivery.lastError).toMatch(/self.signed|certificate/i);
  });
});
