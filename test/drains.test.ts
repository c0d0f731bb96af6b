/**
 * Log drains against a real platd and one push: a syslog listener (TCP,
 * octet-counted RFC 5424) and an HTTPS receiver with its own CA get the
 * app's lines and the router's, in order, while a drain that refuses
 * connections and one that never reads slow down neither `git push` nor
 * the app.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate } from '../apps/api/src/testing/certificates.js';
import { exampleRepo } from './support/app-repo.js';
import { get } from './support/http.js';
import { startPlatd, type Platd } from './support/platd.js';
import { until } from './support/until.js';

/** The messages of an octet-counted stream (RFC 6587): `LENGTH SP MESSAGE`, back to back. */
function octetMessages(data: Buffer): string[] {
  const messages: string[] = [];
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = Number(data.subarray(at, space).toString());
    if (!Number.isInteger(length) || space + 1 + length > data.length) break;
    messages.push(
      data
        .subarray(space + 1, space + 1 + length)
        .toString()
        .trimEnd(),
    );
    at = space + 1 + length;
  }
  return messages;
}

const listening = (server: Server | HttpsServer): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

let platd: Platd;
let repo: string;
let caDir: string | undefined;
let syslogData = Buffer.alloc(0);
const httpsBatches: { headers: Record<string, string | string[] | undefined>; body: Buffer }[] = [];
const servers: (Server | HttpsServer)[] = [];
const held: Socket[] = [];
const urls: Record<'syslog' | 'https' | 'refusing' | 'stalled', string> = {
  syslog: '',
  https: '',
  refusing: '',
  stalled: '',
};

const syslogMessages = () => octetMessages(syslogData);
const httpsMessages = () => httpsBatches.flatMap((batch) => octetMessages(batch.body));
/** The MSG part of messages from one source and process: `<190>1 TIME HOST app web.1 - MSG`. */
const messagesOf = (messages: string[], appName: string, proc: string) =>
  messages
    .map((m) => /^<\d+>1 \S+ \S+ (\S+) (\S+) - (.*)$/.exec(m))
    .filter((m) => m && m[1] === appName && m[2]!.startsWith(proc))
    .map((m) => m![3]!);

beforeAll(async () => {
  const ca = await makeCertificate({ name: 'Drain Receiver CA', ca: true });
  const leaf = await makeCertificate({ name: 'drain receiver', ips: ['127.0.0.1'], issuer: ca });
  caDir = mkdtempSync(join(tmpdir(), 'plat-drain-ca-'));
  writeFileSync(join(caDir, 'ca.pem'), ca.pem);

  const syslog = createServer((socket) =>
    socket.on('data', (chunk: Buffer) => {
      syslogData = Buffer.concat([syslogData, chunk]);
    }),
  );
  const https = createHttpsServer({ cert: leaf.pem, key: leaf.keyPem }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      httpsBatches.push({ headers: request.headers, body: Buffer.concat(chunks) });
      response.statusCode = 200;
      response.end();
    });
  });
  // Accepts connections and never reads from them.
  const stalled = createServer((socket) => {
    socket.pause();
    held.push(socket);
  });
  const refusing = createServer();
  servers.push(syslog, https, stalled);
  urls.syslog = `syslog://127.0.0.1:${await listening(syslog)}`;
  urls.https = `https://127.0.0.1:${await listening(https)}/logs`;
  urls.stalled = `syslog://127.0.0.1:${await listening(stalled)}`;
  // A port nothing listens on any more.
  urls.refusing = `syslog://127.0.0.1:${await listening(refusing)}`;
  await new Promise((resolve) => refusing.close(resolve));

  platd = await startPlatd({
    env: { PLAT_DRAINS_ALLOW_PRIVATE: '1', PLAT_DRAINS_CA_FILE: join(caDir, 'ca.pem') },
  });
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  repo = await exampleRepo(platd, 'flask-hello');
  // A route that prints numbered lines, so their order can be checked at the receivers.
  writeFileSync(
    join(repo, 'app.py'),
    `${readFileSync(join(repo, 'app.py'), 'utf8')}

@app.route("/say/<tag>")
def say(tag):
    for n in range(1, 6):
        print(f"{tag} line {n}", flush=True)
    return "said\\n"
`,
  );
  await platd.git(['commit', '-q', '-am', 'say lines'], repo);
  expect((await platd.plat(['apps:create', 'drained'], { cwd: repo })).code).toBe(0);
}, 300_000);
afterAll(async () => {
  await platd?.destroy();
  for (const socket of held) socket.destroy();
  for (const server of servers) {
    server.close();
    (server as HttpsServer).closeAllConnections?.();
  }
  if (caDir) rmSync(caDir, { recursive: true, force: true });
});

describe('log drains', () => {
  it('adds, lists and refuses drains', async () => {
    for (const url of Object.values(urls)) {
      const added = await platd.plat(['drains:add', url], { cwd: repo });
      expect(added.code, added.output).toBe(0);
      expect(added.stdout).toContain(`Successfully added drain ${url}`);
      expect(added.stdout).toMatch(/d\.[0-9a-f-]{36}/);
    }
    const listed = await platd.plat(['drains', '--json'], { cwd: repo });
    const drains = JSON.parse(listed.stdout) as { url: string; token: string }[];
    expect(drains.map((d) => d.url).sort()).toEqual(Object.values(urls).sort());

    const again = await platd.plat(['drains:add', urls.syslog], { cwd: repo });
    expect(again.code).not.toBe(0);
    expect(again.output).toContain('already a drain of drained');
    const plain = await platd.plat(['drains:add', 'http://127.0.0.1:1/'], { cwd: repo });
    expect(plain.output).toContain('in the clear');
    const metadata = await platd.plat(['drains:add', 'syslog://169.254.169.254:514'], { cwd: repo });
    expect(metadata.output).toContain('link-local');
  });

  it('delivers build, app and router lines in order, while dead drains slow nothing down', async () => {
    // Two of the four drains are dead: the push completes within the usual bounds all the same.
    const push = await platd.git(['push', 'platform', 'main'], repo);
    expect(push.code, push.output).toBe(0);
    await until('the app to serve', async () => (await get(platd.routerPort, 'drained.localhost')).status === 200);

    const ids = ['drainfirstrequest0001', 'drainsecondrequest002'];
    for (const [i, id] of ids.entries()) {
      const response = await get(platd.routerPort, 'drained.localhost', `/say/req${i + 1}`, {
        headers: { 'x-request-id': id },
      });
      expect(response.status).toBe(200);
      // Each nginx worker buffers its access log for up to 250 ms, so two requests served by different workers
      // within that window can reach platd in either order (their timestamps stay right). The order checked here
      // is the order of lines nginx had written: the second request goes once the first one's line is out.
      await until(`request ${id}'s router line at both drains`, async () =>
        [syslogMessages, httpsMessages].every((messages) =>
          messagesOf(messages(), 'router', 'router').some((m) => m.includes(`request_id=${id}`)),
        ),
      );
    }
    const expected = ['req1', 'req2'].flatMap((tag) => [1, 2, 3, 4, 5].map((n) => `${tag} line ${n}`));
    for (const [name, messages] of [
      ['syslog', syslogMessages],
      ['https', httpsMessages],
    ] as const) {
      const appLines = await until(`the app's lines at the ${name} drain`, async () => {
        const said = messagesOf(messages(), 'app', 'web.').filter((m) => /^req\d line \d$/.test(m));
        return said.length >= expected.length && said;
      });
      expect(appLines, name).toEqual(expected);
      const routerLines = await until(`the router's lines at the ${name} drain`, async () => {
        const found = messagesOf(messages(), 'router', 'router').filter((m) => m.includes('path="/say/'));
        return found.length >= 2 && found;
      });
      expect(
        routerLines.map((m) => /request_id=(\S+)/.exec(m)?.[1]),
        name,
      ).toEqual(ids);
      expect(routerLines[0]).toMatch(/^at=info method=GET path="\/say\/req1" host=drained\.localhost .* status=200/);
      expect(messagesOf(messages(), 'build', 'build').length, name).toBeGreaterThan(0);
    }
    // Heroku's shapes: the token as HOSTNAME over syslog, `host` and a header over HTTPS.
    const tokens = JSON.parse((await platd.plat(['drains', '--json'], { cwd: repo })).stdout) as {
      url: string;
      token: string;
      last_error: string | null;
    }[];
    const syslogToken = tokens.find((d) => d.url === urls.syslog)!.token;
    expect(syslogMessages().find((m) => m.endsWith('req1 line 1'))).toMatch(
      new RegExp(
        `^<190>1 \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}\\+00:00 ${syslogToken} app web\\.1 - req1 line 1$`,
      ),
    );
    expect(httpsBatches[0]!.headers).toMatchObject({
      'content-type': 'application/logplex-1',
      'logplex-drain-token': tokens.find((d) => d.url === urls.https)!.token,
    });
    expect(httpsMessages().find((m) => m.endsWith('req1 line 1'))).toMatch(/^<190>1 \S+ host app web\.1 - /);
    // The refused drain says why in `plat drains`.
    const listing = await until('the refused drain to show its failure', async () => {
      const out = (await platd.plat(['drains'], { cwd: repo })).stdout;
      return out.includes('ECONNREFUSED') && out;
    });
    expect(listing).toContain(urls.refusing);
  });

  it('removes a drain by its URL', async () => {
    const removed = await platd.plat(['drains:remove', urls.refusing], { cwd: repo });
    expect(removed.code, removed.output).toBe(0);
    expect(removed.stdout).toContain(`Successfully removed drain ${urls.refusing}`);
    const listed = JSON.parse((await platd.plat(['drains', '--json'], { cwd: repo })).stdout) as { url: string }[];
    expect(listed.map((d) => d.url)).not.toContain(urls.refusing);
    expect(listed).toHaveLength(3);
  });
});
