/**
 * Metrics and live events on a real platd: a deployed Flask app's web dyno
 * is sampled from Docker's stats (memory in use, the size's limit), plat ps
 * and plat metrics show it, and the events stream tells of the release a
 * config change makes. Real Docker, real nginx, the real CLI and git push.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIZES } from '../apps/api/src/controller/dyno-spec.js';
import { exampleRepo } from './support/app-repo.js';
import { startPlatd, type Platd } from './support/platd.js';
import { until } from './support/until.js';

let platd: Platd;
let repo: string;

interface Series {
  kind: string;
  name: string;
  points: { memory_bytes: number; memory_limit_bytes: number; cpu_percent: number }[];
}

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${platd.apiUrl}${path}`, { headers: { authorization: `Bearer ${platd.adminToken}` } });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

beforeAll(async () => {
  platd = await startPlatd();
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  repo = await exampleRepo(platd, 'flask-hello');
  expect((await platd.plat(['apps:create', 'metered'], { cwd: repo })).code).toBe(0);
  const push = await platd.git(['push', 'platform', 'main'], repo);
  expect(push.code, push.output).toBe(0);
});
afterAll(async () => {
  await platd?.destroy();
});

describe('metrics', () => {
  it("samples the web dyno's memory against its size's limit", async () => {
    const web = await until(
      'a metrics point of web.1',
      async () => {
        const { series } = await api<{ series: Series[] }>('/v1/apps/metered/metrics?since=5m');
        const found = series.find((s) => s.kind === 'dyno' && s.name === 'web.1');
        return found && found.points.length > 0 ? found : undefined;
      },
      60_000,
    );
    const formation = await api<{ type: string; size: string }[]>('/v1/apps/metered/formation');
    const size = formation.find((entry) => entry.type === 'web')!.size;
    const point = web.points.at(-1)!;
    expect(point.memory_bytes).toBeGreaterThan(0);
    expect(point.memory_limit_bytes).toBe(SIZES[size]!.memoryBytes);
    expect(platd.output()).not.toMatch(/metrics: .*failed/);
  });

  it('shows memory and CPU in plat ps, and a summary in plat metrics', async () => {
    const ps = await platd.plat(['ps'], { cwd: repo });
    expect(ps.code, ps.output).toBe(0);
    expect(ps.stdout).toMatch(/web\.1: up .*: mem \d+MB\/[\d.]+[MG]B \(\d+%\), cpu \d+\.\d%/);
    const metrics = await platd.plat(['metrics'], { cwd: repo });
    expect(metrics.code, metrics.output).toBe(0);
    expect(metrics.stdout).toContain('Metrics of metered, last 1h');
    expect(metrics.stdout).toMatch(/^web\s+1\s+\d+MB \/ \d+MB/m);
  });
});

describe('events', () => {
  it('streams the release that plat config:set makes', async () => {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 90_000);
    try {
      const response = await fetch(`${platd.apiUrl}/v1/apps/metered/events`, {
        headers: { authorization: `Bearer ${platd.adminToken}` },
        signal: abort.signal,
      });
      expect(response.status).toBe(200);
      let text = '';
      let configSet: Promise<{ code: number; output: string }> | undefined;
      for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
        text += chunk;
        if (!configSet && text.includes(': connected'))
          configSet = platd.plat(['config:set', 'GREETING=streamed'], { cwd: repo });
        if (/event: release\ndata: .*"action":"update".*"status":"succeeded"/.test(text)) break;
      }
      const set = await configSet!;
      expect(set.code, set.output).toBe(0);
      const release = /event: release\ndata: (.*)\n/.exec(text)!;
      expect(JSON.parse(release[1]!)).toMatchObject({ type: 'release', action: 'create' });
      expect(text).toContain('event: config');
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
  });
});
