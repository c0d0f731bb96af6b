/**
 * Plat's image registry on the real Docker Engine and Debian's
 * docker-registry: started by PlatRegistry on a free loopback port in a
 * scratch data dir, a build (the stack image retagged, and a tiny commit on
 * it) pushed, pulled back by its registry reference, listed, deleted by
 * manifest digest (a manifest two tags share is kept), garbage-collected, and
 * the registry stopped. Then the same over mutual TLS with Plat's CA.
 * Every tag, container and process it makes is removed, failed or not.
 */
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { request } from 'node:https';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { STACK_IMAGE } from '@plat/core';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRegistryAddress } from '../apps/api/src/controller/swarm/registry-config.js';
import { PlatRegistry } from '../apps/api/src/controller/swarm/registry.js';
import { freePort } from './support/ports.js';

const docker = new Docker();
const instance = `rt${randomBytes(3).toString('hex')}`;
const repository = `plat/${instance}-shop`;
const dataDir = mkdtempSync(join(tmpdir(), 'plat-registry-'));
const registries: PlatRegistry[] = [];
const containers: string[] = [];
const lines: string[] = [];
const timings: Record<string, number> = {};
/** Docker's certs.d, removed again if the TLS test is what made it. */
const certsDirExisted = existsSync('/etc/docker/certs.d');

async function removeOurImages(): Promise<void> {
  for (const image of await docker.listImages())
    for (const tag of image.RepoTags ?? [])
      if (tag.includes(`/${repository}:`) || tag.startsWith(`${repository}:`))
        await docker
          .getImage(tag)
          .remove({ noprune: true })
          .catch(() => undefined);
}

afterAll(async () => {
  for (const registry of registries) {
    await registry.stop().catch((error: Error) => console.error(error.message));
    registry.forgetOnThisHost();
  }
  for (const id of containers)
    await docker
      .getContainer(id)
      .remove({ force: true })
      .catch(() => undefined);
  await removeOurImages();
  rmSync(dataDir, { recursive: true, force: true });
  if (!certsDirExisted) rmdirSafe('/etc/docker/certs.d');
  if (Object.keys(timings).length > 0) console.log('registry timings (ms):', JSON.stringify(timings));
});

function rmdirSafe(path: string): void {
  try {
    rmdirSync(path);
  } catch {
    // Not empty (something else uses it) or already gone.
  }
}

async function pull(ref: string): Promise<void> {
  const stream = await docker.pull(ref);
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (error: Error | null, output: { error?: string }[]) => {
      const failed = error?.message ?? output.find((event) => event.error)?.error;
      if (failed) reject(new Error(failed));
      else resolve();
    }),
  );
}

/** Reads every blob a manifest names from the registry and throws the bytes away; returns how many. */
async function fetchBlobs(host: string, digest: string): Promise<number> {
  const get = (path: string, accept = '*/*') =>
    new Promise<Buffer>((resolve, reject) =>
      httpGet(`http://${host}${path}`, { headers: { Accept: accept } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => (path.includes('/manifests/') ? chunks.push(chunk) : undefined));
        response.on('end', () =>
          response.statusCode === 200
            ? resolve(Buffer.concat(chunks))
            : reject(new Error(`${path}: ${response.statusCode}`)),
        );
      }).on('error', reject),
    );
  const manifest = JSON.parse(
    (
      await get(`/v2/${repository}/manifests/${digest}`, 'application/vnd.docker.distribution.manifest.v2+json')
    ).toString(),
  ) as { config: { digest: string }; layers: { digest: string }[] };
  const blobs = [manifest.config, ...manifest.layers];
  for (const blob of blobs) await get(`/v2/${repository}/blobs/${blob.digest}`);
  return blobs.length;
}

/** A second build of the app: the stack plus one empty commit, so its manifest differs. */
async function tinyBuild(tag: string): Promise<string> {
  const container = await docker.createContainer({
    Image: STACK_IMAGE,
    Cmd: ['true'],
    Labels: { 'plat.test': instance },
  });
  containers.push(container.id);
  await container.commit({ repo: repository, tag, comment: `registry test ${instance}` });
  return `${repository}:${tag}`;
}

async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    timings[name] = Date.now() - started;
  }
}

describe('the registry on loopback', () => {
  let registry: PlatRegistry;

  beforeAll(async () => {
    const port = await freePort();
    registry = new PlatRegistry({
      dataDir,
      instance,
      address: parseRegistryAddress(`127.0.0.1:${port}`),
      docker,
      log: (line) => lines.push(line),
    });
    registries.push(registry);
    await timed('start', () => registry.start());
  });

  it('pushes builds, pulls them back, lists, deletes and collects', async () => {
    expect(registry.info()).toMatchObject({ running: true, tls: false });
    expect(registry.nodeTrust()).toEqual([]);
    expect(registry.nodeTrustScript()).toBe('');
    // Debian's account runs it and owns the storage; platd (root) keeps the rest.
    const pid = Number(readFileSync(join(dataDir, 'registry', 'registry.pid'), 'utf8'));
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    const account = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((line) => line.startsWith('docker-registry:'))
      ?.split(':')[2];
    expect(uid).toBe(account);
    expect(String(statSync(registry.storageDir).uid)).toBe(account);

    await docker.getImage(STACK_IMAGE).tag({ repo: repository, tag: 'b1' });
    const stackId = (await docker.getImage(STACK_IMAGE).inspect()).Id;
    const progress: string[] = [];
    const b1 = await timed('push stack image', () => registry.pushImage(`${repository}:b1`, (l) => progress.push(l)));
    expect(b1.ref).toBe(`${registry.host}/${repository}:b1`);
    expect(b1.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(b1.pinned).toBe(`${b1.ref}@${b1.digest}`);
    expect(progress.some((line) => line.includes('Pushed'))).toBe(true);
    // The registry tag does not linger on this host: pruning the build's own tag still frees the image.
    expect((await docker.getImage(STACK_IMAGE).inspect()).RepoTags).not.toContain(b1.ref);

    const b2 = await timed('push a build on the stack', async () => registry.pushImage(await tinyBuild('b2')));
    await docker.getImage(STACK_IMAGE).tag({ repo: repository, tag: 'b3' });
    const b3 = await registry.pushImage(`${repository}:b3`);
    expect(b3.digest).toBe(b1.digest);

    expect(await registry.listTags(repository)).toEqual(['b1', 'b2', 'b3']);
    expect(await registry.listRepositories()).toContain(repository);
    expect(await registry.listTags(`plat/${instance}-none`)).toEqual([]);

    // What a node's cold pull transfers (this host keeps the stack's layers, so its pull only retags).
    await timed('fetch every blob of the stack image', () => fetchBlobs(registry.host, b1.digest));

    // Pulled by its registry reference with no local tag of that name: the same image comes back.
    await timed('pull stack image (layers present)', () => pull(b1.ref));
    expect((await docker.getImage(b1.ref).inspect()).Id).toBe(stackId);
    await docker.getImage(b1.ref).remove({ noprune: true });
    await pull(b1.pinned);

    // b3 names b1's manifest: deleting it would take b1 too, so it is kept.
    expect(await registry.deleteTag(b3.ref)).toEqual({
      deleted: false,
      reason: 'shared',
      digest: b1.digest,
      sharedWith: ['b1'],
    });
    expect(await registry.deleteTag(b2.ref)).toEqual({ deleted: true, digest: b2.digest });
    expect(await registry.listTags(repository)).toEqual(['b1', 'b3']);
    expect(await registry.deleteTag(b2.ref)).toEqual({ deleted: false, reason: 'absent' });
    await expect(pull(b2.ref)).rejects.toThrow(/not found|unknown/i);
    await expect(registry.deleteTag(`10.9.9.9:5000/${repository}:b1`)).rejects.toThrow(/not an image of the registry/);

    const collected = await timed('garbage-collect', () => registry.garbageCollect());
    expect(collected.output).toMatch(/blobs marked/);
    // b2's own blobs (its config at least) had no manifest left: freed.
    expect(collected.output).toMatch(/blob eligible for deletion/);
    expect(registry.info().running).toBe(true);
    // What b1 needs survived collection.
    await docker
      .getImage(b1.ref)
      .remove({ noprune: true })
      .catch(() => undefined);
    await docker
      .getImage(b1.pinned)
      .remove({ noprune: true })
      .catch(() => undefined);
    await pull(b1.ref);
    expect(await registry.listTags(repository)).toEqual(['b1', 'b3']);
  });

  it('refuses a push that is not a Plat build tag, and one of a missing image, clearly', async () => {
    await expect(registry.pushImage('debian:12')).rejects.toThrow(/not a Plat image tag/);
    await expect(registry.pushImage(`${repository}:missing`)).rejects.toThrow(/No such image/i);
  });

  it('restarts the registry when it dies, and stops it for good on stop()', async () => {
    const pid = Number(readFileSync(join(dataDir, 'registry', 'registry.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 15_000;
    while (!(registry.info().running && existsSync(`/proc/${pid}`) === false) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(registry.info().running).toBe(true);
    expect(await registry.listTags(repository)).toEqual(['b1', 'b3']);
    await registry.stop();
    expect(registry.info().running).toBe(false);
    await expect(registry.deleteTag(`${registry.host}/${repository}:b1`)).rejects.toThrow(/not running/);
  });

  it('stops a registry a killed platd left running, and takes its place', async () => {
    // What a platd killed with SIGKILL leaves: its registry, still serving, and the pid file.
    const orphan = spawn('/usr/bin/docker-registry', ['serve', registry.configPath], { stdio: 'ignore' });
    writeFileSync(join(dataDir, 'registry', 'registry.pid'), `${orphan.pid}\n`);
    const orphanExited = new Promise((resolve) => orphan.once('exit', resolve));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !(await registry.listTags(repository).catch(() => undefined)))
      await new Promise((resolve) => setTimeout(resolve, 50));
    const next = new PlatRegistry({
      dataDir,
      instance,
      address: parseRegistryAddress(registry.host),
      docker,
      log: (line) => lines.push(line),
    });
    registries.push(next);
    await next.start();
    await orphanExited;
    expect(lines.some((line) => line.includes(`left running (pid ${orphan.pid})`))).toBe(true);
    expect(await next.listTags(repository)).toEqual(['b1', 'b3']);
    await next.stop();
  });
});

/**
 * A non-loopback address of this host: Docker treats 127.0.0.0/8 as an
 * insecure registry and then neither verifies nor shows certs.d's files, so
 * mutual TLS is tested the way a node reaches the manager.
 */
function hostAddress(): string | undefined {
  const all = Object.entries(networkInterfaces()).filter(([name]) => !/^(docker|br-|veth)/.test(name));
  return all.flatMap(([, list]) => list ?? []).find((entry) => entry.family === 'IPv4' && !entry.internal)?.address;
}

function handshake(host: string, port: number, options: { ca?: string; cert?: string; key?: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/v2/', ...options, timeout: 5000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe.runIf(hostAddress())('the registry over mutual TLS', () => {
  it("admits only clients with Plat's certificate; Docker pushes with the files in certs.d", async () => {
    const port = await freePort();
    const host = hostAddress()!;
    const address = parseRegistryAddress(`${host}:${port}`);
    expect(address.tls).toBe(true);
    // This test's port is the one certs.d entry it writes, and it is removed after.
    const registry = new PlatRegistry({
      dataDir: join(dataDir, 'tls'),
      instance,
      address,
      docker,
      log: (line) => lines.push(line),
    });
    registries.push(registry);
    await registry.start();
    const trust = registry.nodeTrust();
    expect(trust.map((file) => file.path)).toEqual([
      `/etc/docker/certs.d/${host}:${port}/ca.crt`,
      `/etc/docker/certs.d/${host}:${port}/client.cert`,
      `/etc/docker/certs.d/${host}:${port}/client.key`,
    ]);
    const [ca, cert, key] = trust.map((file) => file.pem);
    const script = registry.nodeTrustScript();
    expect(script).toContain(ca!.trimEnd());
    expect(spawnSync('bash', ['-n'], { input: script }).status).toBe(0);
    // The CA's key never reaches the registry's account, nor a node.
    const caKey = join(dataDir, 'tls', 'registry', 'tls', 'ca.key');
    expect(statSync(caKey).mode & 0o777).toBe(0o600);
    expect(script).not.toContain(readFileSync(caKey, 'utf8').trim().split('\n')[1]);
    expect(await handshake(host, port, { ca, cert, key })).toBe(200);
    // No client certificate: the handshake fails (or the request does), never an answer.
    await expect(handshake(host, port, { ca })).rejects.toThrow();
    // Another CA's view of the server: not trusted.
    await expect(handshake(host, port, {})).rejects.toThrow(/self-signed|unable to verify|certificate/i);

    const t1 = await tinyBuild('t1');
    const pushed = await timed('push over mutual TLS (empty registry)', () => registry.pushImage(t1));
    expect(await registry.listTags(repository)).toEqual(['t1']);
    await pull(pushed.ref);
    expect(await registry.deleteTag(pushed.ref)).toEqual({ deleted: true, digest: pushed.digest });

    // A restart reuses the CA and certificates: nodes that trust it need nothing new.
    await registry.stop();
    await registry.start();
    expect(registry.nodeTrust().map((file) => file.pem)).toEqual([ca, cert, key]);
    await registry.stop();
    registry.forgetOnThisHost();
    expect(existsSync(`/etc/docker/certs.d/${host}:${port}`)).toBe(false);
  });
});
