/**
 * The API and git over HTTPS through the router on PLAT_API_DOMAIN, end to
 * end: a real platd with its own certificate for plat.test (a test CA), and
 * the plat CLI and git reaching it through the router's TLS port only, by
 * that name: `plat login`, `plat apps:create`, `git push`, `plat run`. Plain
 * HTTP to the API domain gets 308, and no app can take it as a domain.
 *
 * The name resolves to loopback without touching the machine: the CLI
 * preloads test/support/loopback-names.mjs, and git is told with
 * http.curloptResolve. The CLI trusts the test CA by NODE_EXTRA_CA_CERTS and
 * git by GIT_SSL_CAINFO, as the README says for a private CA.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeChain } from '../apps/api/src/testing/certificates.js';
import { exampleRepo } from './support/app-repo.js';
import { get } from './support/http.js';
import { ROOT, startPlatd, type Platd } from './support/platd.js';
import { NODE } from './support/node.js';
import { run } from './support/run.js';

const API_DOMAIN = 'plat.test';
const files = mkdtempSync(join(tmpdir(), 'plat-api-domain-'));
let platd: Platd;
let apiUrl: string;
let repo: string;
/** The user's environment for the CLI and git over the API domain. */
let env: NodeJS.ProcessEnv;

function plat(args: string[]) {
  return platd.plat(args, { cwd: repo, env });
}

/**
 * plat with its stdin open until it exits, as a terminal's is. (nginx ends an
 * upgraded connection at the client's half-close, so `plat run` with a closed
 * stdin is cut short through the router: see the report on attach's stdin EOF.)
 */
function platWithOpenStdin(args: string[]): Promise<{ code: number; stdout: string; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [join(ROOT, 'apps/cli/bin/plat.js'), ...args], {
      cwd: repo,
      env: { ...platd.userEnv, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, output });
    });
  });
}

/** git with the API domain resolved to loopback, as DNS pointing here would. */
function git(args: string[]) {
  const resolve = `http.curloptResolve=${API_DOMAIN}:${platd.routerTlsPort}:127.0.0.1`;
  return run('git', ['-c', resolve, ...args], { cwd: repo, env: { ...platd.userEnv, ...env } });
}

beforeAll(async () => {
  const chain = await makeChain({ name: API_DOMAIN, hostnames: [API_DOMAIN] });
  writeFileSync(join(files, 'api.crt'), chain.leaf.pem + chain.intermediate.pem);
  writeFileSync(join(files, 'api.key'), chain.leaf.keyPem, { mode: 0o600 });
  writeFileSync(join(files, 'ca.pem'), chain.root.pem);
  platd = await startPlatd({
    env: {
      PLAT_API_DOMAIN: API_DOMAIN,
      PLAT_API_CERT_FILE: join(files, 'api.crt'),
      PLAT_API_KEY_FILE: join(files, 'api.key'),
    },
  });
  apiUrl = `https://${API_DOMAIN}:${platd.routerTlsPort}`;
  env = {
    NODE_EXTRA_CA_CERTS: join(files, 'ca.pem'),
    NODE_OPTIONS: `--import ${join(ROOT, 'test/support/loopback-names.mjs')}`,
    PLAT_TEST_LOOPBACK_NAMES: API_DOMAIN,
    GIT_SSL_CAINFO: join(files, 'ca.pem'),
  };
  repo = await exampleRepo(platd, 'flask-hello');
}, 300_000);
afterAll(async () => {
  await platd?.destroy();
  rmSync(files, { recursive: true, force: true });
});

describe('the API and git on PLAT_API_DOMAIN, over HTTPS through the router', () => {
  it('says where the API domain is at start', () => {
    expect(platd.output()).toContain(`API domain:  ${apiUrl}`);
  });

  it('logs the CLI in over HTTPS, trusting the CA from NODE_EXTRA_CA_CERTS only', async () => {
    const untrusted = await platd.plat(['login', '--api-url', apiUrl, '--token', platd.adminToken], {
      env: { ...env, NODE_EXTRA_CA_CERTS: '' },
    });
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr).toContain(`Could not reach the Plat API at ${apiUrl}`);
    expect(untrusted.stderr).toContain('NODE_EXTRA_CA_CERTS');
    const login = await plat(['login', '--api-url', apiUrl, '--token', platd.adminToken]);
    expect(login.code, login.output).toBe(0);
    expect(login.stdout).toContain(`at ${apiUrl}`);
  });

  it('creates an app whose git remote is the API domain over HTTPS', async () => {
    const created = await plat(['apps:create', 'hello']);
    expect(created.code, created.output).toBe(0);
    const remote = await git(['remote', 'get-url', 'platform']);
    expect(remote.stdout.trim()).toBe(`${apiUrl}/git/hello.git`);
    const info = JSON.parse((await plat(['apps:info', '--json'])).stdout);
    expect(info.git_url).toBe(`${apiUrl}/git/hello.git`);
  });

  it('pushes over HTTPS, streaming the build, and the app serves', async () => {
    const push = await git(['push', 'platform', 'main']);
    expect(push.code, push.output).toBe(0);
    expect(push.output).toContain('remote: -----> Python app detected');
    expect(push.output).toMatch(/remote: {8}Released v\d+/);
    const page = await get(platd.routerPort, 'hello.localhost', '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Hello from Flask on Plat');
  });

  it('runs a one-off dyno over HTTPS (the upgrade passes the router)', async () => {
    const ran = await platWithOpenStdin(['run', 'python', '-c', 'print(6 * 7)']);
    expect(ran.code, ran.output).toBe(0);
    expect(ran.stdout).toContain('42');
  });

  it("turns an app's web_url to https once a certificate serves its hostname", async () => {
    expect(JSON.parse((await plat(['apps:info', '--json'])).stdout).web_url).toBe(
      `http://hello.localhost:${platd.routerPort}/`,
    );
    const own = await makeChain({ name: 'hello', hostnames: ['hello.localhost'] });
    writeFileSync(join(files, 'hello.crt'), own.leaf.pem + own.intermediate.pem);
    writeFileSync(join(files, 'hello.key'), own.leaf.keyPem, { mode: 0o600 });
    const added = await plat(['certs:add', join(files, 'hello.crt'), join(files, 'hello.key')]);
    expect(added.code, added.output).toBe(0);
    expect(JSON.parse((await plat(['apps:info', '--json'])).stdout).web_url).toBe(
      `https://hello.localhost:${platd.routerTlsPort}/`,
    );
  });

  it('redirects plain HTTP to the API domain with 308, but ACME challenges', async () => {
    const redirected = await get(platd.routerPort, API_DOMAIN, '/v1/status');
    expect(redirected.status).toBe(308);
    expect(redirected.headers.location).toBe(`${apiUrl}/v1/status`);
    const challenge = await get(platd.routerPort, API_DOMAIN, '/.well-known/acme-challenge/nothing');
    expect(challenge.status).toBe(404);
  });

  it('lets no app take the API domain', async () => {
    const refused = await plat(['domains:add', API_DOMAIN]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('PLAT_API_DOMAIN');
    const domains = await plat(['domains', '--json']);
    expect(domains.stdout).not.toContain(API_DOMAIN);
  });
});
