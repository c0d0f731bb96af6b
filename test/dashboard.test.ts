/**
 * The dashboard in a real browser (Debian's chromium, driven by
 * playwright-core) against a real platd with a deployed app: log in, see
 * the app, scale, change config, roll back, tail logs live, create an
 * add-on; values from the API render as text; a bad or revoked token goes
 * back to the login form. Screenshots of each page go to test/artifacts/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleRepo } from './support/app-repo.js';
import { get } from './support/http.js';
import { ROOT, startPlatd, type Platd } from './support/platd.js';

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

  it('opens the app and scales web to 2: two dynos appear', async () => {
    await page.getByRole('link', { name: APP, exact: true }).click();
    await page.getByRole('tab', { name: 'Overview' }).waitFor();
    for (const name of ['Overview', 'Activity', 'Metrics', 'Logs', 'Settings', 'Add-ons'])
      expect(await page.getByRole('tab', { name, exact: true }).count()).toBe(1);
    await page.locator('tr[data-dyno="web.1"]').waitFor();
    await page.getByLabel('web dynos').fill('2');
    await page.getByRole('button', { name: 'Scale web' }).click();
    await page.locator('tr[data-dyno="web.2"]').waitFor();
    await expect.poll(() => page.locator('tr[data-dyno^="web."]').count(), { timeout: 30_000 }).toBe(2);
    await page.locator('tr[data-dyno="web.2"] .state-up').waitFor();
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
    await page.getByLabel('Key').fill('GREETING_HTML');
    await page.getByLabel('Value', { exact: true }).fill(SCRIPT);
    await page.getByRole('button', { name: 'Add config var' }).click();
    await page.getByRole('button', { name: 'Reveal GREETING_HTML' }).click();
    await page.getByText(SCRIPT, { exact: true }).waitFor();
    expect(await page.evaluate(() => (window as any).pwned)).toBeUndefined();
    expect(await page.locator('script:not([src])').count()).toBe(0);
    // A bad key: the API's message beside the form, nothing set.
    await page.getByLabel('Key').fill('BAD KEY');
    await page.getByLabel('Value', { exact: true }).fill('x');
    await page.getByRole('button', { name: 'Add config var' }).click();
    await page.locator('#config-heading ~ [role="alert"]').waitFor();
    expect(Object.keys(await api('GET', `/v1/apps/${APP}/config-vars`))).not.toContain('BAD KEY');
    await shot('settings');
    await openTab('Activity');
    await page.getByText('Set GREETING_HTML').waitFor();
    expect((await api('GET', `/v1/apps/${APP}/releases`)).length).toBe(before + 1);
  });

  it('rolls back to an earlier release from Activity', async () => {
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
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).click();
    await shot('logs');
  });

  it('shows metrics, or says there are none yet', async () => {
    await openTab('Metrics');
    await page.locator('.chart .uplot').first().or(page.getByText('No metrics yet')).waitFor();
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
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('overview-phone', phone);
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
