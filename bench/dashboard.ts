/**
 * The dashboard's first load of an app page over loopback, in Debian's
 * chromium: bytes on the wire for HTML + JS + CSS (gzip on, cold cache) and
 * the time from navigation to the formation rendered. Targets: under 150 KB
 * and 300 ms. Writes bench/results/dashboard.json. Run: npm run bench:dashboard
 */
import { chromium } from 'playwright-core';
import { median, platdWithApp, round, writeResult } from './support.js';

const ROUNDS = 7;
const APP = 'bench-dash';

const { platd } = await platdWithApp(APP);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const times: number[] = [];
  const bytes: number[] = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    // A fresh context each round: empty cache, the token in this tab's sessionStorage as after logging in.
    const context = await browser.newContext();
    await context.addInitScript((token) => sessionStorage.setItem('plat.token', token), platd.adminToken);
    const page = await context.newPage();
    const sizes: Promise<number>[] = [];
    page.on('requestfinished', (request) => {
      if (['document', 'script', 'stylesheet'].includes(request.resourceType()))
        sizes.push(request.sizes().then((s) => s.responseBodySize + s.responseHeadersSize));
    });
    await page.goto(`${platd.apiUrl}/apps/${APP}`);
    await page.locator('.formation-row').first().waitFor({ timeout: 30_000 });
    times.push(await page.evaluate(() => performance.now()));
    bytes.push((await Promise.all(sizes)).reduce((sum, size) => sum + size, 0));
    await context.close();
  }
  const result = {
    first_load_bytes: median(bytes),
    first_load_kb: round(median(bytes) / 1024, 1),
    formation_rendered_ms: round(median(times), 0),
    rounds: ROUNDS,
    targets: { kb: 150, ms: 300 },
  };
  console.log(result);
  writeResult('dashboard', result);
} finally {
  await browser.close();
  await platd.destroy();
}
