/**
 * The control plane's footprint: platd from a clean data dir, its
 * PostgreSQL and the router's nginx, sampled (PSS) every 100 ms while
 * flask-hello is deployed 20 times. Writes bench/results/memory.json with
 * idle before, peak during the deploys and idle after, against the budget
 * (platd alone idle < 100 MB RSS; all three idle < 150 MB PSS; peak < 250 MB).
 * Run: npm run bench:memory
 */
import { join } from 'node:path';
import { pss, rss, totalPss, treesMatching } from '../test/support/memory.js';
import { platdWithApp, pushChange, round, writeResult } from './support.js';

const DEPLOYS = 20;
const IDLE_MS = 5_000;
const MB = 1024 ** 2;

interface Sample {
  at: number;
  platd: number;
  postgres: number;
  nginx: number;
  total: number;
  platdRss: number;
}

const { platd, repo } = await platdWithApp('mem');
try {
  const samples: Sample[] = [];
  const sample = (): Sample => {
    const platdPss = pss(platd.pid());
    const postgres = totalPss(treesMatching(join(platd.dataDir, 'postgres')));
    const nginx = totalPss(treesMatching(join(platd.dataDir, 'router')));
    return {
      at: Date.now(),
      platd: platdPss,
      postgres,
      nginx,
      total: platdPss + postgres + nginx,
      platdRss: rss(platd.pid()),
    };
  };
  const timer = setInterval(() => samples.push(sample()), 100);
  const idle = async () => {
    const from = Date.now();
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const window = samples.filter((entry) => entry.at >= from);
    const median = (key: keyof Sample) =>
      [...window].map((entry) => entry[key]).sort((a, b) => a - b)[Math.floor(window.length / 2)]!;
    return {
      platd_rss_mb: round(median('platdRss') / MB, 1),
      platd_pss_mb: round(median('platd') / MB, 1),
      postgres_pss_mb: round(median('postgres') / MB, 1),
      nginx_pss_mb: round(median('nginx') / MB, 1),
      total_pss_mb: round(median('total') / MB, 1),
    };
  };

  const before = await idle();
  const deployFrom = Date.now();
  for (let index = 1; index <= DEPLOYS; index += 1) await pushChange(platd, repo, `deploy ${index}`);
  const during = samples.filter((entry) => entry.at >= deployFrom);
  const peak = during.reduce((max, entry) => (entry.total > max.total ? entry : max), during[0]!);
  const after = await idle();
  clearInterval(timer);

  const result = {
    deploys: DEPLOYS,
    sample_interval_ms: 100,
    idle_before: before,
    peak_during_deploys: {
      total_pss_mb: round(peak.total / MB, 1),
      platd_pss_mb: round(peak.platd / MB, 1),
      postgres_pss_mb: round(peak.postgres / MB, 1),
      nginx_pss_mb: round(peak.nginx / MB, 1),
    },
    idle_after: after,
    targets: { platd_idle_rss_mb: 100, idle_total_pss_mb: 150, peak_total_pss_mb: 250 },
    meets_targets: after.platd_rss_mb < 100 && after.total_pss_mb < 150 && peak.total / MB < 250,
  };
  writeResult('memory', result);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await platd.destroy();
}
