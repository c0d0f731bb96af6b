/**
 * Eco dynos on the real daemon: an idle eco app's web dyno stops (its
 * worker keeps running), a burst of 50 requests wakes it with one new
 * container and every request answered 200, the router's lines show the
 * wake time, and a config change while asleep leaves it asleep until a
 * request wakes it with the new release. Real git, Docker and nginx.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleRepo } from './support/app-repo.js';
import { instanceContainers } from './support/docker-cleanup.js';
import { get } from './support/http.js';
import { startPlatd, type Platd } from './support/platd.js';
import { until } from './support/until.js';

let platd: Platd;
let repo: string;
const docker = new Docker();
const HOST = 'dozy.localhost';

const plat = async (args: string[]) => {
  const result = await platd.plat(args, { cwd: repo });
  if (result.code !== 0) throw new Error(`plat ${args.join(' ')} failed: ${result.output}`);
  return result.stdout;
};

/** The app's running containers of one process type, by id. */
async function running(process: string): Promise<string[]> {
  return (await instanceContainers(platd.instance))
    .filter((c) => c.State === 'running' && c.Labels['plat.app'] === 'dozy' && c.Labels['plat.process'] === process)
    .map((c) => c.Id);
}

/** `plat ps` once it shows web.1 asleep. */
function untilAsleep(): Promise<string> {
  return until(
    'plat ps to show web.1 sleeping',
    async () => {
      const ps = await plat(['ps']);
      return /^web\.1: sleeping since \d{4}-\d\d-\d\dT/m.test(ps) && ps;
    },
    60_000,
  );
}

/** Web containers of the app Docker created between two moments (its events, not a listing: stopped ones go). */
async function webContainersCreated(since: Date, until: Date): Promise<number> {
  const stream = (await docker.getEvents({
    since: Math.floor(since.getTime() / 1000),
    until: Math.ceil(until.getTime() / 1000) + 1,
    filters: {
      type: ['container'],
      event: ['create'],
      label: [`plat.instance=${platd.instance}`, 'plat.app=dozy', 'plat.process=web'],
    },
  })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text.split('\n').filter((line) => line.trim()).length;
}

beforeAll(async () => {
  platd = await startPlatd({ env: { PLAT_ECO_SLEEP_S: '2' } });
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  repo = await exampleRepo(platd, 'flask-hello');
  // The greeting from the config, so a config change shows in the answer; a worker that just runs.
  // And a stream that stays open three idle periods long, ticking every half second.
  writeFileSync(
    join(repo, 'app.py'),
    `${readFileSync(join(repo, 'app.py'), 'utf8').replace(
      /GREETING = ".*"/,
      'GREETING = os.environ.get("GREETING", "Hello from Flask on Plat")',
    )}
@app.route("/stream")
def stream():
    import time

    def ticks():
        for tick in range(12):
            yield f"tick {tick}\\n"
            time.sleep(0.5)

    return app.response_class(ticks(), mimetype="text/plain")
`,
  );
  writeFileSync(
    join(repo, 'Procfile'),
    'web: gunicorn --threads 4 --bind 0.0.0.0:$PORT app:app\nworker: sh -c "echo working; exec sleep 100000"\n',
  );
  await platd.git(['add', '-A'], repo);
  await platd.git(['commit', '-q', '-m', 'greeting from the config, and a worker'], repo);
  await plat(['apps:create', 'dozy']);
  const push = await platd.git(['push', 'platform', 'main'], repo);
  expect(push.code, push.output).toBe(0);
  expect((await get(platd.routerPort, HOST)).body).toContain('Hello from Flask on Plat');
}, 300_000);
afterAll(async () => {
  await platd?.destroy();
});

describe('eco dynos', () => {
  it('stop web dynos of an idle eco app and keep its worker running', async () => {
    await plat(['scale', 'web=1:eco', 'worker=1:eco']);
    const [worker] = await until(
      'worker.1 to run',
      async () => (await running('worker')).length === 1 && running('worker'),
    );
    const ps = await untilAsleep();
    expect(ps).toMatch(/^=== web \(eco\)/m);
    await until('the web container to stop', async () => (await running('web')).length === 0, 60_000);
    expect(await running('worker')).toEqual([worker]);
    const logs = await plat(['logs', '-n', '300', '--source', 'plat']);
    expect(logs).toMatch(/plat\[web\]: sleeping: no request for 2 s \(eco\)/);
  });

  it('wakes for a burst of 50 requests with one container, answering every one', async () => {
    const before = new Date();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => get(platd.routerPort, HOST, `/?burst=${i}`, { timeoutMs: 90_000 })),
    );
    const after = new Date();
    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200));
    for (const answer of answers) expect(answer.body).toContain('Hello from Flask on Plat! (dyno web.1)');
    expect(answers[0]!.headers['x-plat-wake']).toBeUndefined();
    expect(await webContainersCreated(before, after)).toBe(1);
    const routerLines = await until(
      'the woken requests in the router log',
      async () => {
        const lines = (await plat(['logs', '-n', '500', '--source', 'router'])).split('\n');
        const woken = lines.filter((line) => /path="\/\?burst=\d+".* status=200 .*wake=\d+\.\ds$/.test(line));
        return woken.length === 50 && woken;
      },
      20_000,
    );
    expect(routerLines[0]).toMatch(/dyno=web\.1 /);
    const events = await plat(['logs', '-n', '300', '--source', 'plat']);
    expect(events).toMatch(/plat\[web\]: waking: a request came in/);
    expect(events).toMatch(/plat\[web\]: awake in \d+\.\d s/);
  });

  it('stays awake while a request is still open, and sleeps once it ends', async () => {
    // From asleep, so the idle time starts at this wake: a request at the end of the last test's idle time
    // could meet a sleep already decided (it is answered, by the dyno as it drains). Then a 6 s stream at once.
    await untilAsleep();
    await until('the web container to stop', async () => (await running('web')).length === 0, 60_000);
    expect((await get(platd.routerPort, HOST, '/', { timeoutMs: 90_000 })).status).toBe(200);
    const streaming = get(platd.routerPort, HOST, '/stream', { timeoutMs: 30_000 });
    let done = false;
    const watched = streaming.finally(() => (done = true));
    const seen: string[] = [];
    while (!done) {
      seen.push(await plat(['ps']));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const answer = await watched;
    expect(answer.status).toBe(200);
    expect(answer.body.trim().split('\n')).toHaveLength(12);
    // Three idle periods of a stream whose only router line comes at its end: never asleep meanwhile.
    expect(seen.length).toBeGreaterThan(5);
    for (const ps of seen) expect(ps).not.toMatch(/sleeping since/);
    await untilAsleep();
  });

  it('stays asleep through a config change, and wakes with the new release', async () => {
    await untilAsleep();
    await until('the web container to stop', async () => (await running('web')).length === 0, 60_000);
    await plat(['config:set', 'GREETING=Good morning']);
    const releases = await plat(['releases', '--json']);
    const newest = Math.max(...(JSON.parse(releases) as { version: number }[]).map((release) => release.version));
    // Asleep still: nothing started for the new release.
    expect(await plat(['ps'])).toMatch(/^web\.1: sleeping since .*v\d+/m);
    expect(await running('web')).toEqual([]);
    const answer = await get(platd.routerPort, HOST, '/', { timeoutMs: 90_000 });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('Good morning! (dyno web.1)');
    const web = (await instanceContainers(platd.instance)).filter(
      (c) => c.State === 'running' && c.Labels['plat.app'] === 'dozy' && c.Labels['plat.process'] === 'web',
    );
    expect(web.map((c) => c.Labels['plat.version'])).toEqual([String(newest)]);
  });

  it('stays asleep across a platd restart, answering H99 only while platd is down', async () => {
    await untilAsleep();
    await until('the web container to stop', async () => (await running('web')).length === 0, 60_000);
    await platd.stop();
    const down = await get(platd.routerPort, HOST);
    expect(down.status).toBe(503);
    expect(down.headers['x-plat-error']).toBe('H99');
    await platd.start();
    expect(await plat(['ps'])).toMatch(/^web\.1: sleeping since /m);
    expect(await running('web')).toEqual([]);
    const answer = await get(platd.routerPort, HOST, '/', { timeoutMs: 90_000 });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('Good morning! (dyno web.1)');
  });
});
