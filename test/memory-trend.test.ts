/**
 * platd does not grow with use: after 20 deploys of flask-hello its idle
 * memory is within 20 MB of where it was after 5. (The budget itself is
 * measured by bench/memory, not asserted here.)
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deployExample, pushChange } from '../bench/support.js';
import { instanceContainers } from './support/docker-cleanup.js';
import { rss } from './support/memory.js';
import { startPlatd, type Platd } from './support/platd.js';
import { until } from './support/until.js';

let platd: Platd;
let repo: string;

beforeAll(async () => {
  platd = await startPlatd({ env: { PLAT_API_RATE_LIMIT: '0' } });
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  repo = await deployExample(platd, 'trend', 'flask-hello');
});

afterAll(async () => {
  await platd?.destroy();
});

/**
 * The median of platd's RSS over two idle seconds, in MB: once the last push's old dyno has drained and
 * gone, so platd's work after the push is not sampled.
 */
async function idleRssMb(): Promise<number> {
  await until(
    'one web container of trend',
    async () =>
      (await instanceContainers(platd.instance)).filter(
        (c) => c.State === 'running' && c.Labels['plat.app'] === 'trend' && c.Labels['plat.process'] === 'web',
      ).length === 1,
    120_000,
  );
  const samples: number[] = [];
  const deadline = Date.now() + 2_000;
  while (Date.now() < deadline) {
    samples.push(rss(platd.pid()) / 1024 ** 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

it('keeps platd idle memory flat across repeated deploys', async () => {
  for (let index = 1; index <= 5; index += 1) await pushChange(platd, repo, `deploy ${index}`);
  const afterFive = await idleRssMb();
  for (let index = 6; index <= 20; index += 1) await pushChange(platd, repo, `deploy ${index}`);
  const afterTwenty = await idleRssMb();
  expect(
    afterTwenty - afterFive,
    `idle RSS ${afterFive.toFixed(1)} MB after 5 deploys, ${afterTwenty.toFixed(1)} MB after 20`,
  ).toBeLessThan(20);
}, 600_000);
