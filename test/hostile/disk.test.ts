/**
 * Disk is bounded, and nothing of a destroyed app lingers. A platd with a
 * 1 MB build-cache budget prunes the layers a failed build leaves dangling,
 * while its apps keep serving with their images, dynos and add-on volume,
 * and a second platd's dangling layers on the same Engine stay. A destroyed
 * app leaves no container, volume, network, image, repo, backup or log; its
 * name, reused, starts empty; a destroy cut short is finished by the next
 * apps:destroy or at platd's start.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleRepo } from '../support/app-repo.js';
import { get } from '../support/http.js';
import { startPlatd, type Platd } from '../support/platd.js';
import { until } from '../support/until.js';

const docker = new Docker();
/** A build that leaves a 3 MB layer behind, then fails. */
const FAILING_DOCKERFILE = 'FROM plat/stack:latest\nRUN head -c 3000000 /dev/urandom > /tmp/blob\nRUN exit 1\n';

let platd: Platd;
let other: Platd;
const repos: Record<string, string> = {};

async function login(target: Platd): Promise<void> {
  const result = await target.plat(['login', '--api-url', target.apiUrl, '--token', target.adminToken]);
  expect(result.code, result.output).toBe(0);
}

/** An app from examples/dockerfile-app, created with a git remote and pushed. */
async function deployed(target: Platd, name: string): Promise<string> {
  const repo = await exampleRepo(target, 'dockerfile-app');
  const created = await target.plat(['apps:create', name], { cwd: repo });
  expect(created.code, created.output).toBe(0);
  const push = await target.git(['push', 'platform', 'main'], repo);
  expect(push.code, push.output).toBe(0);
  return repo;
}

async function commit(target: Platd, repo: string, dockerfile: string, message: string): Promise<void> {
  writeFileSync(join(repo, 'Dockerfile'), dockerfile);
  for (const args of [
    ['add', 'Dockerfile'],
    ['commit', '-q', '-m', message],
  ]) {
    const result = await target.git(args, repo);
    expect(result.code, result.output).toBe(0);
  }
}

/** Untagged layers of a platd that nothing uses: no container, no tagged image built on them. */
async function danglingLayers(instance: string): Promise<string[]> {
  const images = await docker.listImages({ all: true });
  const used = new Set<string>((await docker.listContainers({ all: true })).map((c) => c.ImageID));
  const byId = new Map(images.map((image) => [image.Id, image]));
  for (const image of images.filter((i) => (i.RepoTags ?? []).some((t) => t !== '<none>:<none>') || used.has(i.Id))) {
    for (let parent = byId.get(image.ParentId); parent; parent = byId.get(parent.ParentId)) used.add(parent.Id);
  }
  return images
    .filter(
      (image) =>
        image.Labels?.['plat.instance'] === instance &&
        !(image.RepoTags ?? []).some((t) => t !== '<none>:<none>') &&
        !used.has(image.Id),
    )
    .map((image) => image.Id);
}

async function imageExists(id: string): Promise<boolean> {
  return docker
    .getImage(id)
    .inspect()
    .then(() => true)
    .catch(() => false);
}

async function appId(target: Platd, name: string): Promise<string> {
  const info = await target.plat(['apps:info', '-a', name, '--json']);
  expect(info.code, info.output).toBe(0);
  return JSON.parse(info.stdout).id;
}

/** Everything in Docker that carries the app's id (or, for networks, its name) for this platd. */
async function dockerLeftovers(instance: string, id: string, name: string) {
  const filters = { label: [`plat.instance=${instance}`, `plat.app-id=${id}`] };
  return {
    containers: (await docker.listContainers({ all: true, filters })).map((c) => c.Id),
    volumes: ((await docker.listVolumes({ filters })).Volumes ?? []).map((v) => v.Name),
    networks: (await docker.listNetworks({ filters: { label: [`plat.instance=${instance}`] } }))
      .filter((n) => n.Labels?.['plat.app-id'] === id || n.Labels?.['plat.app'] === name)
      .map((n) => n.Name),
    images: (await docker.listImages({ all: true, filters })).map((i) => i.Id),
  };
}

async function serves(target: Platd, name: string): Promise<void> {
  const response = await get(target.routerPort, `${name}.localhost`, '/');
  expect(response.status, `${name}: ${response.body}`).toBe(200);
  expect(response.body).toContain('Hello from a Dockerfile app');
}

beforeAll(async () => {
  platd = await startPlatd({ env: { PLAT_BUILD_CACHE_MB: '1' } });
  other = await startPlatd();
  await login(platd);
  await login(other);
  repos.one = await deployed(platd, 'one');
  repos.two = await deployed(platd, 'two');
  repos.three = await deployed(other, 'three');
}, 900_000);

afterAll(async () => {
  await platd?.destroy();
  await other?.destroy();
});

describe('build cache pruning', () => {
  let theirs: string[];
  let volumesBefore: string[];

  it("keeps a failed build's dangling layers under the default budget (the other platd)", async () => {
    await commit(other, repos.three!, FAILING_DOCKERFILE, 'fails after a 3 MB layer');
    const push = await other.git(['push', 'platform', 'main'], repos.three!);
    expect(push.code, push.output).not.toBe(0);
    theirs = await danglingLayers(other.instance);
    expect(theirs.length, 'a failed build leaves layers dangling').toBeGreaterThan(0);
  });

  it('prunes dangling layers past a 1 MB budget after each build, and none an app or another platd uses', async () => {
    const created = await platd.plat(['addons:create', 'postgres', '-a', 'one', '--json']);
    expect(created.code, created.output).toBe(0);
    volumesBefore = (await dockerLeftovers(platd.instance, await appId(platd, 'one'), 'one')).volumes;
    expect(volumesBefore.length).toBe(1);

    await commit(platd, repos.two!, FAILING_DOCKERFILE, 'fails after a 3 MB layer');
    const failed = await platd.git(['push', 'platform', 'main'], repos.two!);
    expect(failed.code, failed.output).not.toBe(0);
    // Pruning follows the push's answer, in the app's build queue.
    const pruned = /build cache was [\d.]+ MB, over 1\.0 MB: removed \d+ unused layer/;
    await until('the build cache pruned after the failed push', async () => pruned.test(platd.output()));
    expect(await danglingLayers(platd.instance)).toEqual([]);

    // Several pushes: back to a good build, then another.
    const revert = await platd.git(['revert', '--no-edit', 'HEAD'], repos.two!);
    expect(revert.code, revert.output).toBe(0);
    for (let i = 0; i < 2; i += 1) {
      if (i > 0) expect((await platd.git(['commit', '-q', '--allow-empty', '-m', 'again'], repos.two!)).code).toBe(0);
      const push = await platd.git(['push', 'platform', 'main'], repos.two!);
      expect(push.code, push.output).toBe(0);
    }
    await until('no dangling layers after the pushes', async () => (await danglingLayers(platd.instance)).length === 0);

    for (const name of ['one', 'two']) {
      await serves(platd, name);
      const releases = JSON.parse((await platd.plat(['releases', '-a', name, '--json'])).stdout) as {
        image: string | null;
        current: boolean;
      }[];
      const current = releases.find((release) => release.current)!;
      expect(await imageExists(current.image!), `${name}'s current image`).toBe(true);
      const dynos = JSON.parse((await platd.plat(['ps', '-a', name, '--json'])).stdout) as { state: string }[];
      expect(dynos.map((dyno) => dyno.state)).toEqual(['up']);
    }
    expect((await dockerLeftovers(platd.instance, await appId(platd, 'one'), 'one')).volumes).toEqual(volumesBefore);
    expect((await platd.plat(['addons', '-a', 'one', '--json'])).stdout).toContain('"state": "available"');
    // The other platd's layers and app are as they were.
    for (const id of theirs) expect(await imageExists(id), `${other.instance}'s layer ${id}`).toBe(true);
    await serves(other, 'three');
  }, 600_000);

  it('admin:disk shows each app with its images, volume, repo, backups and logs', async () => {
    const backup = await platd.plat(['pg:backups:capture', '-a', 'one']);
    expect(backup.code, backup.output).toBe(0);
    const disk = await platd.plat(['admin:disk', '--json']);
    expect(disk.code, disk.output).toBe(0);
    const report = JSON.parse(disk.stdout);
    const one = report.apps.find((app: { app: string }) => app.app === 'one');
    expect(one.images.bytes).toBeGreaterThan(0);
    expect(one.volumes.count).toBe(1);
    expect(one.repo_bytes).toBeGreaterThan(0);
    expect(one.backups).toMatchObject({ count: 1 });
    expect(one.backups.bytes).toBeGreaterThan(0);
    expect(one.logs_bytes).toBeGreaterThan(0);
    expect(report.apps.map((app: { app: string }) => app.app).sort()).toEqual(['one', 'two']);
    expect(report.build_cache.budget_bytes).toBe(1024 ** 2);
    expect(report.data_dir.free_bytes).toBeGreaterThan(0);
    const table = await platd.plat(['admin:disk']);
    expect(table.stdout).toMatch(/^one\s+[\d.]+ [KMG]?B \(\d+\)/m);

    // Only admins see what the host holds.
    const carol = await platd.plat(['users:create', 'carol@example.com', '--json']);
    expect(carol.code, carol.output).toBe(0);
    const denied = await platd.plat(['admin:disk', '--json'], {
      env: { PLAT_API_URL: platd.apiUrl, PLAT_TOKEN: JSON.parse(carol.stdout).token },
    });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('Only admins may do that.');
    expect(denied.stdout).toBe('');
  });
});

describe('apps:destroy', () => {
  let oneId: string;

  it('leaves no container, volume, network, image, repo, backup or log of the app', async () => {
    oneId = await appId(platd, 'one');
    expect((await dockerLeftovers(platd.instance, oneId, 'one')).images.length).toBeGreaterThan(0);
    const destroyed = await platd.plat(['apps:destroy', '-a', 'one', '--confirm', 'one']);
    expect(destroyed.code, destroyed.output).toBe(0);
    expect(await dockerLeftovers(platd.instance, oneId, 'one')).toEqual({
      containers: [],
      volumes: [],
      networks: [],
      images: [],
    });
    expect(existsSync(join(platd.dataDir, 'repos', 'one.git'))).toBe(false);
    expect(existsSync(join(platd.dataDir, 'backups', oneId))).toBe(false);
    expect(existsSync(join(platd.dataDir, 'router', 'logs', 'one.log'))).toBe(false);
    // Again: nothing left to do, and it says so.
    const again = await platd.plat(['apps:destroy', '-a', 'one', '--confirm', 'one']);
    expect(again.output).toMatch(/Couldn't find that app: one/);
    await serves(platd, 'two');
    await serves(other, 'three');
  });

  it('a reused name inherits no release, log, backup or commit', async () => {
    const created = await platd.plat(['apps:create', 'one', '--no-remote']);
    expect(created.code, created.output).toBe(0);
    expect(await appId(platd, 'one')).not.toBe(oneId);
    // Only the new app's own v1.
    expect(JSON.parse((await platd.plat(['releases', '-a', 'one', '--json'])).stdout)).toMatchObject([
      { version: 1, description: 'Initial release', image: null },
    ]);
    expect(JSON.parse((await platd.plat(['pg:backups', '-a', 'one', '--json'])).stdout)).toEqual([]);
    const logs = await platd.plat(['logs', '-a', 'one', '-n', '1000']);
    expect(logs.code, logs.output).toBe(0);
    expect(logs.stdout).not.toMatch(/Building|Release v|Backup b|app\[web/);
    // The old checkout's remote names the same URL: the repo behind it is new and empty.
    const refs = await platd.git(['ls-remote', 'platform'], repos.one!);
    expect(refs.code, refs.output).toBe(0);
    expect(refs.stdout).toBe('');
    const fetch = await platd.git(['fetch', '--prune', 'platform'], repos.one!);
    expect(fetch.code, fetch.output).toBe(0);
    expect((await platd.git(['branch', '-r'], repos.one!)).stdout).not.toContain('platform/main');
  });

  it("a destroy cut short holds the app and its name until apps:destroy or platd's start finishes it", async () => {
    // A container of no platd holds each app's network, so removing it fails mid-way.
    const holders: Docker.Container[] = [];
    for (const name of ['four', 'five']) {
      expect((await platd.plat(['apps:create', name, '--no-remote'])).code).toBe(0);
      const [network] = (await dockerLeftovers(platd.instance, await appId(platd, name), name)).networks;
      expect(network, `${name}'s network`).toBeDefined();
      const holder = await docker.createContainer({
        Image: 'plat/stack:latest',
        Cmd: ['sleep', '600'],
        HostConfig: { NetworkMode: network },
      });
      await holder.start();
      holders.push(holder);
    }
    try {
      const ids = { four: await appId(platd, 'four'), five: await appId(platd, 'five') };
      for (const name of ['four', 'five']) {
        const cut = await platd.plat(['apps:destroy', '-a', name, '--confirm', name]);
        expect(cut.code, cut.output).not.toBe(0);
        expect(cut.output).toMatch(/in use by others/);
        const info = await platd.plat(['config', '-a', name]);
        expect(info.output).toMatch(new RegExp(`${name} is being destroyed`));
        const taken = await platd.plat(['apps:create', name, '--no-remote']);
        expect(taken.code).not.toBe(0);
      }
      // The foreign containers were not touched.
      for (const holder of holders) expect((await holder.inspect()).State.Running).toBe(true);
      for (const holder of holders) await holder.remove({ force: true });
      holders.length = 0;

      const finished = await platd.plat(['apps:destroy', '-a', 'four', '--confirm', 'four']);
      expect(finished.code, finished.output).toBe(0);
      expect(await dockerLeftovers(platd.instance, ids.four, 'four')).toEqual({
        containers: [],
        volumes: [],
        networks: [],
        images: [],
      });

      await platd.stop();
      await platd.start();
      expect(platd.output()).toContain('finished destroying five');
      expect((await platd.plat(['apps:info', '-a', 'five'])).output).toMatch(/Couldn't find that app: five/);
      expect(await dockerLeftovers(platd.instance, ids.five, 'five')).toEqual({
        containers: [],
        volumes: [],
        networks: [],
        images: [],
      });
      expect(existsSync(join(platd.dataDir, 'repos', 'five.git'))).toBe(false);
      await serves(platd, 'two');
    } finally {
      for (const holder of holders) await holder.remove({ force: true }).catch(() => {});
    }
  });
});
