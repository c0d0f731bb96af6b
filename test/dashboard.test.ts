/**
 * The dashboard in a real browser (Debian's chromium, driven by
 * playwright-core) against a real platd with a deployed app: log in, see
 * the app, scale (the new dyno comes up through the live events), change
 * config, upload and remove a certificate, roll back, tail logs live with
 * pause and resume, chart real metrics, create an add-on; values from the
 * API render as text; a bad or revoked token goes back to the login form.
 * Screenshots of each page go to test/artifacts/.
 */
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleRepo } from './support/app-repo.js';
import { get } from './support/http.js';
import { ROOT, startPlatd, type Platd } from './support/platd.js';
import { run } from './support/run.js';
import { until } from './support/until.js';

const ARTIFACTS = join(ROOT, 'test/artifacts');
const APP = 'dash';
const SCRIPT = '<script>window.pwned = 1</script>';

let platd: Platd;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

async function shot(name: string, target: Page = page): Promise<void> {
  await target.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${platd.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${platd.adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function logIn(target: Page, token: string): Promise<void> {
  await target.goto(platd.apiUrl);
  await target.getByLabel('API token').fill(token);
  await target.getByRole('button', { name: 'Log in' }).click();
}

/** A self-signed certificate and its key for `hostname`, made by openssl (argument array, no shell). */
async function selfSigned(hostname: string): Promise<{ pem: string; key: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'plat-dash-cert-'));
  const [crt, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  const made = await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    key,
    '-out',
    crt,
    '-days',
    '30',
    '-subj',
    `/CN=${hostname}`,
    '-addext',
    `subjectAltName=DNS:${hostname}`,
  ]);
  expect(made.code, made.output).toBe(0);
  return { pem: readFileSync(crt, 'utf8'), key: readFileSync(key, 'utf8') };
}

/** "web: 42 MB" in a chart's summary → bytes (0 when it shows none). */
function bytesIn(text: string | null, type: string): number {
  const match = new RegExp(`${type}: ([\\d.]+) (B|KB|MB|GB)`).exec(text ?? '');
  if (!match) return 0;
  return Number(match[1]) * 1024 ** ['B', 'KB', 'MB', 'GB'].indexOf(match[2]!);
}

async function openTab(name: string): Promise<void> {
  await page.getByRole('tab', { name, exact: true }).click();
  await expect.poll(() => page.getByRole('tab', { name, exact: true }).getAttribute('aria-selected')).toBe('true');
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  platd = await startPlatd();
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  const repo = await exampleRepo(platd, 'flask-hello');
  expect((await platd.plat(['apps:create', APP], { cwd: repo })).code).toBe(0);
  const push = await platd.git(['push', 'platform', 'main'], repo);
  expect(push.code, push.output).toBe(0);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.setDefaultTimeout(60_000);
});
afterAll(async () => {
  await browser?.close();
  await platd?.destroy();
});

describe('the dashboard', () => {
  it('refuses a bad token with a message and keeps the login form', async () => {
    await logIn(page, 'not-a-token');
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 10_000 }).toContain('not accepted');
    expect(await page.getByLabel('API token').isVisible()).toBe(true);
    // The token is nowhere in the address bar.
    expect(page.url()).not.toContain('not-a-token');
    await shot('login');
  });

  it('logs in and lists the app with its state and release', async () => {
    await page.getByLabel('API token').fill(platd.adminToken);
    await page.getByRole('button', { name: 'Log in' }).click();
    const link = page.getByRole('link', { name: APP, exact: true });
    await link.waitFor();
    expect(page.url()).not.toContain(platd.adminToken);
    await page.getByText('running').first().waitFor();
    await page
      .getByText(/^v\d+$/)
      .first()
      .waitFor();
    await shot('apps');
  });

  it('opens the app and scales web to 2: the new dyno appears and comes up, without a reload', async () => {
    await page.getByRole('link', { name: APP, exact: true }).click();
    await page.getByRole('tab', { name: 'Overview' }).waitFor();
    for (const name of ['Overview', 'Activity', 'Metrics', 'Logs', 'Settings', 'Add-ons'])
      expect(await page.getByRole('tab', { name, exact: true }).count()).toBe(1);
    await page.locator('tr[data-dyno="web.1"] .state-up').waitFor();
    // Gone if the page reloads: everything below must come from the live events.
    await page.evaluate(() => ((window as any).sameDocument = true));
    await page.getByLabel('web dynos').fill('2');
    await page.getByRole('button', { name: 'Scale web' }).click();
    await page.locator('tr[data-dyno="web.2"]').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('tr[data-dyno^="web."]').count(), { timeout: 30_000 }).toBe(2);
    // Once platd says web.2 answers, its `up` event (sent once routed: a router reload may take seconds on a
    // loaded machine) updates the row; the page's own fallback look comes only every 30 s.
    await until(
      'web.2 up in the API',
      async () => (await api('GET', `/v1/apps/${APP}/dynos`)).some((d: any) => d.name === 'web.2' && d.state === 'up'),
      90_000,
    );
    await page.locator('tr[data-dyno="web.2"] .state-up').waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (window as any).sameDocument)).toBe(true);
    await shot('overview');
  });

  it('shows the API message next to a control that fails, and changes nothing', async () => {
    await page.getByLabel('web dynos').fill('101');
    await page.getByRole('button', { name: 'Scale web' }).click();
    await page.locator('.formation-row [role="alert"]').waitFor();
    expect((await api('GET', `/v1/apps/${APP}/formation`)).find((f: any) => f.type === 'web').quantity).toBe(2);
    await page.getByLabel('web dynos').fill('2');
  });

  it('sets a config var (rendered as text, never run) and a new release appears', async () => {
    const before = (await api('GET', `/v1/apps/${APP}/releases`)).length;
    await openTab('Settings');
    await page.getByLabel('Key', { exact: true }).fill('GREETING_HTML');
    await page.getByLabel('Value', { exact: true }).fill(SCRIPT);
    await page.getByRole('button', { name: 'Add config var' }).click();
    await page.getByRole('button', { name: 'Reveal GREETING_HTML' }).click();
    await page.getByText(SCRIPT, { exact: true }).waitFor();
    expect(await page.evaluate(() => (window as any).pwned)).toBeUndefined();
    expect(await page.locator('script:not([src])').count()).toBe(0);
    // A bad key: the API's message beside the form, nothing set.
    await page.getByLabel('Key', { exact: true }).fill('BAD KEY');
    await page.getByLabel('Value', { exact: true }).fill('x');
    await page.getByRole('button', { name: 'Add config var' }).click();
    await page.locator('#config-heading ~ [role="alert"]').waitFor();
    expect(Object.keys(await api('GET', `/v1/apps/${APP}/config-vars`))).not.toContain('BAD KEY');
    await shot('settings');
    await openTab('Activity');
    await page.getByText('Set GREETING_HTML').waitFor();
    expect((await api('GET', `/v1/apps/${APP}/releases`)).length).toBe(before + 1);
  });

  it('uploads a certificate for a domain, lists it with its expiry, and removes it', async () => {
    const hostname = 'www.dash-cert.example';
    await openTab('Settings');
    await page.getByLabel('Hostname').fill(hostname);
    await page.getByRole('button', { name: 'Add domain' }).click();
    await page.getByText('HTTPS: none').waitFor();
    const { pem, key } = await selfSigned(hostname);
    // Pasted, and read from a chosen file: both ways fill the fields.
    await page.getByLabel('Certificate chain (PEM)').fill(pem);
    await page
      .getByLabel('Private key file')
      .setInputFiles({ name: 'key.pem', mimeType: 'application/x-pem-file', buffer: Buffer.from(key) });
    await expect.poll(() => page.getByLabel('Private key (PEM)').inputValue()).toBe(key);
    await page.getByRole('button', { name: 'Upload certificate' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Uploaded: HTTPS for ${hostname}` })
      .waitFor();
    const day = new Date(new X509Certificate(pem).validTo).toISOString().slice(0, 10);
    const row = page.locator('li[data-certificate]', { hasText: hostname });
    await row.getByText(`expires ${day}`).waitFor();
    expect(await row.locator('.state').textContent()).toBe('ok');
    await page.getByText('HTTPS: ok').waitFor();
    // The key does not stay in the page once platd has it.
    expect(await page.getByLabel('Private key (PEM)').inputValue()).toBe('');
    const added = (await api('GET', `/v1/apps/${APP}/certs`)).certificates;
    expect(added.map((c: any) => [c.source, c.hostnames, c.not_after.slice(0, 10)])).toEqual([
      ['manual', [hostname], day],
    ]);
    await shot('settings-certificates');
    await page.getByRole('button', { name: `Remove certificate for ${hostname}` }).click();
    await row.waitFor({ state: 'detached', timeout: 30_000 });
    await page.getByText('HTTPS: none').waitFor();
    expect((await api('GET', `/v1/apps/${APP}/certs`)).certificates).toEqual([]);
    await api('DELETE', `/v1/apps/${APP}/domains/${hostname}`);
  });

  it('rolls back to an earlier release from Activity', async () => {
    await openTab('Activity');
    const releases = await api('GET', `/v1/apps/${APP}/releases`);
    const target = releases.find((r: any) => !r.current && r.status === 'succeeded' && r.image);
    await page.getByRole('button', { name: `Roll back to v${target.version}` }).click();
    await page.getByText(`Rollback to v${target.version}`).first().waitFor();
    await expect
      .poll(async () => (await api('GET', `/v1/apps/${APP}/releases`)).find((r: any) => r.current)?.description, {
        timeout: 60_000,
      })
      .toContain(`Rollback to v${target.version}`);
    await page.locator('details summary').first().click();
    await page.locator('pre.output').waitFor();
    await shot('activity');
  });

  it('tails the log live: a new line appears, markup as text', async () => {
    await openTab('Logs');
    await page.getByText('Waiting for log lines').or(page.locator('.log-line').first()).waitFor();
    const marker = `/dashboard-live-${Date.now()}/<b>bold</b>`;
    await expect
      .poll(
        async () => {
          await get(platd.routerPort, `${APP}.localhost`, marker);
          return page.locator('.log-line', { hasText: marker }).count();
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toBeGreaterThan(0);
    expect(await page.locator('.log b').count()).toBe(0);
    await shot('logs');
  });

  it('holds new log lines while paused and shows them on resume', async () => {
    await page.getByRole('button', { name: 'Pause' }).click();
    const notice = page.getByRole('status').filter({ hasText: /^Paused: \d+ new lines? held\.$/ });
    const heldNow = async () => Number(/(\d+)/.exec((await notice.textContent()) ?? '')?.[1] ?? -1);
    await notice.waitFor();
    // A line of the previous test's requests may still come in: counted from here.
    const before = await heldNow();
    // One request, one router line: platd has it, the page has it held (counted), and it is not shown.
    const held = `/dashboard-held-${Date.now()}`;
    await get(platd.routerPort, `${APP}.localhost`, held);
    await until(
      'the held request in the log',
      async () => {
        const response = await fetch(`${platd.apiUrl}/v1/apps/${APP}/logs?source=router&lines=50`, {
          headers: { authorization: `Bearer ${platd.adminToken}` },
        });
        return (await response.text()).includes(held);
      },
      30_000,
    );
    await expect.poll(heldNow, { timeout: 10_000 }).toBeGreaterThan(before);
    expect(await page.locator('.log-line', { hasText: held }).count()).toBe(0);
    await shot('logs-paused');
    // Resumed: the held line shows with no further request, and new ones flow live again.
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('.log-line', { hasText: held }).first().waitFor({ timeout: 5_000 });
    expect(await notice.count()).toBe(0);
    const live = `/dashboard-resumed-${Date.now()}`;
    await get(platd.routerPort, `${APP}.localhost`, live);
    await page.locator('.log-line', { hasText: live }).first().waitFor({ timeout: 30_000 });
  });

  it("charts the app's sampled memory and CPU: drawn, with a memory above zero", async () => {
    await openTab('Metrics');
    // Samples come every 10 s and the view reloads every 30 s: a first point is on the page within a minute.
    const memory = page.locator('figure.chart', { has: page.getByRole('heading', { name: 'Memory' }) });
    const cpu = page.locator('figure.chart', { has: page.getByRole('heading', { name: 'CPU' }) });
    await memory.locator('.uplot canvas').waitFor({ timeout: 90_000 });
    expect(await cpu.locator('.uplot canvas').count()).toBe(1);
    await expect
      .poll(async () => bytesIn(await memory.getByRole('img').getAttribute('aria-label'), 'web'), { timeout: 90_000 })
      .toBeGreaterThan(1024 * 1024);
    // The web line is drawn: pixels of its colour (#4b3fa0) on the plot's canvas, not only axes and grid.
    const drawn = () =>
      memory.locator('.uplot canvas').evaluate((canvas: HTMLCanvasElement) => {
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        let count = 0;
        for (let i = 0; i < data.length; i += 4)
          if (Math.abs(data[i]! - 75) + Math.abs(data[i + 1]! - 63) + Math.abs(data[i + 2]! - 160) < 60) count += 1;
        return count;
      });
    await expect.poll(drawn, { timeout: 60_000 }).toBeGreaterThan(20);
    const series = (await api('GET', `/v1/apps/${APP}/metrics?since=1h`)).series;
    expect(series.some((s: any) => s.type === 'web' && s.points.some((p: any) => p.memory_bytes > 0))).toBe(true);
    await shot('metrics');
  });

  it('creates a redis add-on with the plan picker', async () => {
    await openTab('Add-ons');
    const picker = page.getByLabel('Plan');
    const redis = await picker
      .locator('option', { hasText: /^redis:/ })
      .first()
      .getAttribute('value');
    await picker.selectOption(redis!);
    await page.getByRole('button', { name: 'Create add-on' }).click();
    await page.locator('li[data-addon^="redis"]').waitFor({ timeout: 120_000 });
    expect((await api('GET', `/v1/apps/${APP}/addons`)).some((a: any) => a.provider === 'redis')).toBe(true);
    await shot('addons');
  });

  it('fits a phone-width screen', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await logIn(phone, platd.adminToken);
    await phone.getByRole('link', { name: APP, exact: true }).click();
    await phone.locator('tr[data-dyno="web.1"]').waitFor({ timeout: 60_000 });
    const overflow = () => phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await shot('overview-phone', phone);
    // The widest form: the certificate upload's, in one column here.
    await phone.getByRole('tab', { name: 'Settings', exact: true }).click();
    await phone.getByLabel('Certificate chain (PEM)').waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    await shot('settings-phone', phone);
    await phone.close();
  });

  it('returns to the login form with a message when the token is revoked', async () => {
    const token = await api('POST', '/v1/account/tokens', { description: 'dashboard test' });
    const other = await browser.newPage();
    await logIn(other, token.token);
    await other.getByRole('link', { name: APP, exact: true }).waitFor();
    await other.getByRole('link', { name: APP, exact: true }).click();
    await other.getByRole('tab', { name: 'Overview' }).waitFor();
    await api('DELETE', `/v1/account/tokens/${token.id}`);
    // The next call the page makes meets the 401: its own polling, or a reload's first; either way the tab
    // says why, even reloaded.
    await other.reload();
    await other.getByLabel('API token').waitFor();
    expect(await other.getByRole('alert').textContent()).toContain('You are signed out');
    expect(await other.evaluate(() => sessionStorage.getItem('plat.token'))).toBeNull();
    await other.close();
  });

  it('ran under its Content-Security-Policy without a violation', () => {
    expect(consoleErrors.filter((text) => /Content Security Policy/i.test(text))).toEqual([]);
  });
});
