/**
 * Network sandboxes on the real daemon: a push readies one per web dyno on
 * the app's network while it builds, and each new web dyno joins one
 * (container network mode) rather than wait for Docker to set up its own
 * network. The sandbox is confined as tightly as a dyno; a removed dyno's
 * sandbox stays as the app's spare, which the app's next dyno joins at once
 * (a restart's, a replacement's), and goes with the app's last dyno. A
 * sandbox that dies takes its dyno with it, which platd replaces.
 * Real git, Docker and nginx, driven by `plat` and `git push`.
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
let appNetwork: string;
let started: Date;
const docker = new Docker();
const HOST = 'boxed.localhost';

const plat = async (args: string[]) => {
  const result = await platd.plat(args, { cwd: repo });
  if (result.code !== 0) throw new Error(`plat ${args.join(' ')} failed: ${result.output}`);
  return result.stdout;
};

async function push(greeting: string): Promise<void> {
  const path = join(repo, 'app.py');
  writeFileSync(path, readFileSync(path, 'utf8').replace(/GREETING = ".*"/, `GREETING = "${greeting}"`));
  await platd.git(['commit', '-q', '-am', greeting], repo);
  const pushed = await platd.git(['push', 'platform', 'main'], repo);
  expect(pushed.code, pushed.output).toBe(0);
  expect(pushed.output).toMatch(/Done in [\d.]+ s/);
}

/** Labels of the app's containers Docker created between two moments (its events: removed ones included). */
async function created(since: Date, till: Date): Promise<Record<string, string>[]> {
  const stream = (await docker.getEvents({
    since: Math.floor(since.getTime() / 1000),
    until: Math.ceil(till.getTime() / 1000) + 1,
    filters: { type: ['container'], event: ['create'], label: [`plat.instance=${platd.instance}`, 'plat.app=boxed'] },
  })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as { id: string; Actor: { Attributes: Record<string, string> } })
    .map((event) => ({ ...event.Actor.Attributes, id: event.id }));
}

/** The app's containers: its running web dynos, all its dynos (any state), its network sandboxes (any state). */
async function containers(): Promise<{
  web: Docker.ContainerInfo[];
  dynos: Docker.ContainerInfo[];
  sandboxes: Docker.ContainerInfo[];
}> {
  const all = (await instanceContainers(platd.instance)).filter((c) => c.Labels['plat.app'] === 'boxed');
  return {
    web: all.filter((c) => c.Labels['plat.process'] === 'web' && c.State === 'running'),
    dynos: all.filter((c) => c.Labels['plat.dyno']),
    sandboxes: all.filter((c) => c.Labels['plat.sandbox']),
  };
}

/** The app's sandboxes no dyno joined. */
function unjoined(web: Docker.ContainerInfo[], sandboxes: Docker.ContainerInfo[]): Docker.ContainerInfo[] {
  const joined = new Set(web.map((dyno) => dyno.Labels['plat.in-sandbox']));
  return sandboxes.filter((sandbox) => !joined.has(sandbox.Id));
}

/**
 * Until the app runs `count` web dynos of the given greeting, each in a
 * sandbox of its own, and one other, the spare (all running); resolves with
 * the dynos and the spare.
 */
async function untilBoxed(
  count: number,
  greeting: string,
): Promise<{ dynos: Docker.ContainerInspectInfo[]; spare: Docker.ContainerInfo | undefined }> {
  return until(
    `${count} web dyno(s) in sandboxes of their own and a spare, answering "${greeting}"`,
    async () => {
      // The dynos a rollout retired are gone, not only stopped: platd has kept or removed their sandboxes.
      const { web, dynos, sandboxes } = await containers();
      if (web.length !== count || dynos.length !== count || sandboxes.length !== count + 1) return false;
      const joined = web.map((dyno) => dyno.Labels['plat.in-sandbox']);
      if (new Set(joined).size !== count || !joined.every((id) => sandboxes.some((s) => s.Id === id))) return false;
      if (!sandboxes.every((s) => s.State === 'running')) return false;
      const answer = await get(platd.routerPort, HOST);
      if (answer.status !== 200 || !answer.body.includes(greeting)) return false;
      return { dynos: await Promise.all(web.map((d) => inspect(d.Id))), spare: unjoined(web, sandboxes)[0] };
    },
    60_000,
  );
}

const inspect = (id: string) => docker.getContainer(id).inspect();
const running = (container: Docker.ContainerInfo) => container.State === 'running';

beforeAll(async () => {
  started = new Date();
  platd = await startPlatd();
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  repo = await exampleRepo(platd, 'flask-hello');
  // A release phase: each push readies a sandbox for it too (a first push, which may have one, as well).
  writeFileSync(join(repo, 'Procfile'), 'release: echo "release phase ran"\n');
  await platd.git(['add', 'Procfile'], repo);
  await platd.git(['commit', '-q', '-m', 'a release phase'], repo);
  await plat(['apps:create', 'boxed']);
  const app = JSON.parse(await plat(['apps:info', '--json'])) as { id: string };
  appNetwork = `plat-${platd.instance}-${app.id}`;
  await push('Hello before sandboxes');
}, 300_000);
afterAll(async () => {
  await platd?.destroy();
});

describe('network sandboxes', () => {
  it("start a push's web dyno in a sandbox on the app's network, confined and holding nothing else", async () => {
    const since = new Date();
    const [before] = (await containers()).web;
    await push('Hello from a sandbox');
    const {
      dynos: [dyno],
      spare,
    } = await untilBoxed(1, 'Hello from a sandbox');
    // The release phase ran in a sandbox of its own (one the app's pushes readied), which went with it.
    const [release] = (await created(since, new Date())).filter((labels) => labels['plat.one-off']);
    const sandboxes = (await created(started, new Date())).filter((labels) => labels['plat.sandbox']);
    expect(release?.['plat.in-sandbox']).toBeDefined();
    expect(sandboxes.map((labels) => labels.id)).toContain(release!['plat.in-sandbox']);
    expect(await inspect(release!['plat.in-sandbox']!).catch(() => undefined)).toBeUndefined();
    // The retired dyno's sandbox stayed, as the app's spare.
    expect(spare?.Id).toBe(before!.Labels['plat.in-sandbox']);
    const sandboxId = dyno!.Config.Labels['plat.in-sandbox']!;
    expect(dyno!.HostConfig.NetworkMode).toBe(`container:${sandboxId}`);
    const sandbox = await inspect(sandboxId);
    expect(sandbox.Name).toMatch(new RegExp(`^/${appNetwork}-sandbox-[0-9a-f]{6}$`));
    expect(sandbox.Config.Labels['plat.sandbox']).toBe(appNetwork);
    expect(sandbox.Config.Labels['plat.dyno']).toBeUndefined();
    expect(Object.keys(sandbox.NetworkSettings.Networks)).toEqual([appNetwork]);
    expect(sandbox.Config.Cmd).toEqual(['sleep', 'infinity']);
    expect(sandbox.Config.User).toBe('1000:1000');
    const host = sandbox.HostConfig;
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.SecurityOpt).toEqual(['no-new-privileges']);
    expect(host.ReadonlyRootfs).toBe(true);
    expect(host.Memory).toBe(16 * 1024 ** 2);
    expect(host.PidsLimit).toBe(8);
    expect(Object.values(host.PortBindings ?? {}).flat()).toEqual([]);
    expect(await plat(['ps'])).toMatch(/^web\.1: up /m);
  });

  it("give a restart's dyno the app's spare, and keep the one it leaves as the next", async () => {
    const { web, sandboxes } = await containers();
    const [spare] = unjoined(web, sandboxes);
    await plat(['ps:restart']);
    await until('the dyno before the restart to go', async () => !(await inspect(web[0]!.Id).catch(() => undefined)));
    const {
      dynos: [dyno],
      spare: next,
    } = await untilBoxed(1, 'Hello from a sandbox');
    expect(dyno!.HostConfig.NetworkMode).toBe(`container:${spare!.Id}`);
    expect(next?.Id).toBe(web[0]!.Labels['plat.in-sandbox']);
  });

  it('go with their dynos: a push at web=2 leaves two dynos in two sandboxes and one spare', async () => {
    const old = (await containers()).sandboxes.map((sandbox) => sandbox.Id);
    await plat(['scale', 'web=2']);
    await push('Hello from two sandboxes');
    const { dynos, spare } = await untilBoxed(2, 'Hello from two sandboxes');
    expect(dynos.map((d) => d.Config.Labels['plat.dyno']).sort()).toEqual(['web.1', 'web.2']);
    // Of the sandboxes before the push (the old web.1's, and the spare web.2 joined), one is the spare now.
    expect(old).toContain(spare!.Id);
    const left = await Promise.all(old.map((id) => inspect(id).catch(() => undefined)));
    expect(left.filter(Boolean).map((info) => info!.Id)).toEqual([spare!.Id]);
  });

  it("take their dyno down when they die, and platd replaces it in the app's spare, counting no crash", async () => {
    const { web, sandboxes } = await containers();
    const [spare] = unjoined(web, sandboxes);
    const victim = web.find((d) => d.Labels['plat.dyno'] === 'web.1')!;
    await docker.getContainer(victim.Labels['plat.in-sandbox']!).kill();
    await until(
      'the dyno in the killed sandbox to stop',
      async () => (await inspect(victim.Id).catch(() => undefined))?.State.Running !== true,
    );
    const replaced = await until(
      'web.1 to be replaced and both dynos to answer',
      async () => {
        const { web: now, sandboxes: left } = await containers();
        const fresh = now.find((d) => d.Labels['plat.dyno'] === 'web.1' && d.Id !== victim.Id);
        if (!fresh || now.length !== 2 || left.length !== 2) return false;
        return (await get(platd.routerPort, HOST)).status === 200 && inspect(fresh.Id);
      },
      90_000,
    );
    expect(replaced.HostConfig.NetworkMode).toBe(`container:${spare!.Id}`);
    // Not the app's doing: said so, and neither a crash nor a restart of the app's.
    const logs = await plat(['logs', '-n', '300', '--source', 'plat']);
    expect(logs).toContain('web.1]: stopped: its network sandbox went away, restarting now');
    expect(logs).not.toMatch(/web\.1\]: crashed/);
    const listed = JSON.parse(await plat(['ps', '--json'])) as { name: string; restarts: number }[];
    expect(listed.find((d) => d.name === 'web.1')?.restarts).toBe(0);
  });

  it('leave none behind when a build or a release phase fails', async () => {
    const head = (await platd.git(['rev-parse', 'HEAD'], repo)).stdout.trim();
    const refused = async (file: string, text: string) => {
      writeFileSync(join(repo, file), text);
      await platd.git(['add', file], repo);
      await platd.git(['commit', '-q', '-m', `a failing ${file}`], repo);
      const pushed = await platd.git(['push', 'platform', 'main'], repo);
      expect(pushed.code, pushed.output).not.toBe(0);
      await platd.git(['reset', '-q', '--hard', head], repo);
    };
    await refused('Dockerfile', 'FROM plat/stack:latest\nRUN exit 3\n');
    await refused('Procfile', 'release: exit 3\n');
    // Only the sandboxes the serving dynos joined are left, running.
    await until('the failed pushes to leave no sandbox', async () => {
      const { web, sandboxes } = await containers();
      return sandboxes.length === 2 && unjoined(web, sandboxes).length === 0 && sandboxes.every(running);
    });
    expect((await get(platd.routerPort, HOST)).body).toContain('Hello from two sandboxes');
  });

  it("go with the app's last dyno, and leave nothing behind when the app is destroyed", async () => {
    await plat(['scale', 'web=1']);
    await until('web.2 to leave its sandbox as the spare', async () => {
      const { web, sandboxes } = await containers();
      return web.length === 1 && sandboxes.length === 2 && sandboxes.every(running);
    });
    await plat(['scale', 'web=0']);
    await until('no sandbox once no dyno runs', async () => (await containers()).sandboxes.length === 0);
    // Its build sandbox (on the build network, kept between its pushes) goes with it as well.
    const left = async () => (await instanceContainers(platd.instance)).filter((c) => c.Labels['plat.app'] === 'boxed');
    expect((await left()).filter((c) => c.Labels['plat.build-sandbox'] && c.State === 'running')).toHaveLength(1);
    await plat(['apps:destroy', '--confirm', 'boxed']);
    await until('no container of the app', async () => (await left()).length === 0);
    expect(
      await docker
        .getNetwork(appNetwork)
        .inspect()
        .catch(() => undefined),
    ).toBeUndefined();
  });
});
