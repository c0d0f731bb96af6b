/**
 * A hostile tenant pushes trees made to make platd (root) read or write host
 * files: symlinks that leave the tree, directly or through chains of
 * relative links, duplicated tree entries, oversized files and packs. Each
 * push is refused or built without touching the host, the secret host file
 * never shows in the output, and the other app keeps serving.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleRepo } from '../support/app-repo.js';
import { get } from '../support/http.js';
import { startPlatd, type Platd } from '../support/platd.js';
import { run } from '../support/run.js';

let platd: Platd;
/** A host folder and file the attacks aim at: both must stay exactly as they are. */
let target: string;
const secret = `secret-${randomBytes(8).toString('hex')}`;

function hostSnapshot(): string {
  const files = readdirSync(target).sort();
  return JSON.stringify(
    files.map((name) => [
      name,
      createHash('sha256')
        .update(readFileSync(join(target, name)))
        .digest('hex'),
    ]),
  );
}

/** Runs git as the user; plumbing that reads stdin gets `input` piped in. */
function git(args: string[], cwd: string, input?: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', input === undefined ? args : [...args, '--stdin'], { cwd, env: platd.userEnv });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`git ${args.join(' ')}: ${out}`)),
    );
    child.stdin.end(input);
  });
}

/** A new app with a fresh repo whose single commit is the given tree. */
async function appWithRepo(name: string): Promise<string> {
  const dir = mkdtempSync(join(dirname(platd.dataDir), `${name}-`));
  await git(['init', '-q', '-b', 'main'], dir);
  const created = await platd.plat(['apps:create', name], { cwd: dir });
  expect(created.code).toBe(0);
  return dir;
}

async function commitFiles(dir: string, files: Record<string, string | { link: string }>): Promise<void> {
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    if (typeof body === 'string') writeFileSync(join(dir, name), body);
    else await run('ln', ['-sfn', body.link, join(dir, name)]);
  }
  await git(['add', '-A'], dir);
  await git(['commit', '-q', '-m', 'hostile'], dir);
}

async function push(dir: string, ref = 'main'): Promise<{ code: number; output: string }> {
  return platd.git(['push', 'platform', `${ref}:${ref}`], dir);
}

async function otherAppServes(): Promise<void> {
  const response = await get(platd.routerPort, 'victim.localhost');
  expect(response.status).toBe(200);
  expect(response.body).toContain('Hello from Flask on Plat!');
}

beforeAll(async () => {
  // A small push limit keeps the oversized cases fast.
  platd = await startPlatd({ env: { PLAT_MAX_PUSH_MB: '5' } });
  target = mkdtempSync(join(dirname(platd.dataDir), 'host-target-'));
  writeFileSync(join(target, 'secret.txt'), `${secret}\n`);
  await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken]);
  const victim = await exampleRepo(platd, 'flask-hello');
  expect((await platd.plat(['apps:create', 'victim'], { cwd: victim })).code).toBe(0);
  const pushed = await push(victim);
  expect(pushed.output).toMatch(/Released v\d+/);
});

afterAll(async () => {
  await platd?.destroy();
});

describe('symlinks in a push never reach the host', () => {
  it('builds a tree whose .plat-build links out through a relative chain, writing nothing through it', async () => {
    const before = hostSnapshot();
    const dir = await appWithRepo('chain');
    const depth = target.split('/').length;
    await commitFiles(dir, {
      'index.html': '<h1>chain</h1>\n',
      'd1/d2/y': { link: '../..' },
      // From d1/d2/y (the root) climb to / and down to the host folder.
      '.plat-build': { link: `d1/d2/y/${'../'.repeat(depth)}${target.slice(1)}` },
    });
    const pushed = await push(dir);
    expect(pushed.output).toMatch(/Released v\d+/);
    expect(pushed.code).toBe(0);
    expect(hostSnapshot()).toBe(before);
    const response = await get(platd.routerPort, 'chain.localhost');
    expect(response.body).toContain('<h1>chain</h1>');
    await otherAppServes();
  });

  it('refuses files platd reads that link out of the tree, absolute or by a chain; shows no host file', async () => {
    const before = hostSnapshot();
    const dir = await appWithRepo('links');
    const depth = target.split('/').length;
    const cases: Record<string, string> = {
      Procfile: join(target, 'secret.txt'),
      'requirements.txt': `d1/d2/y/${'../'.repeat(depth)}${target.slice(1)}/secret.txt`,
      'package.json': '/dev/zero',
      Dockerfile: join(target, 'secret.txt'),
      'static.json': `d1/d2/y/${'../'.repeat(depth)}${target.slice(1)}/secret.txt`,
      Pipfile: join(target, 'secret.txt'),
      '.dockerignore': join(target, 'secret.txt'),
    };
    await commitFiles(dir, { 'index.html': 'x\n', 'd1/d2/y': { link: '../..' } });
    for (const [file, link] of Object.entries(cases)) {
      await commitFiles(dir, { [file]: { link } });
      const pushed = await push(dir);
      expect(pushed.code, `${file}: ${pushed.output}`).not.toBe(0);
      expect(pushed.output).toContain(`${file} is a symbolic link that leads out of the app's tree`);
      expect(pushed.output).not.toContain(secret);
      await git(['rm', '-q', file], dir);
      await git(['commit', '-q', '-m', `drop ${file}`], dir);
    }
    // No release but the app's own v1 "Initial release".
    const releases = JSON.parse((await platd.plat(['releases', '-a', 'links', '--json'])).stdout);
    expect(releases.map((r: { description: string }) => r.description)).toEqual(['Initial release']);
    expect(hostSnapshot()).toBe(before);
    await otherAppServes();
  });
});

describe('malformed trees and oversized pushes', () => {
  it('refuses a tree with a duplicated Procfile entry in git itself (fsck), before any build', async () => {
    const dir = await appWithRepo('dupes');
    await commitFiles(dir, { 'index.html': 'x\n' });
    const good = await git(['hash-object', '-w'], dir, 'web: python3 -m http.server $PORT\n');
    const link = await git(['hash-object', '-w'], dir, join(target, 'secret.txt'));
    const index = await git(['rev-parse', 'HEAD:index.html'], dir);
    const entry = (mode: string, name: string, sha: string) =>
      Buffer.concat([Buffer.from(`${mode} ${name}\0`), Buffer.from(sha, 'hex')]);
    const tree = Buffer.concat([
      entry('120000', 'Procfile', link),
      entry('100644', 'Procfile', good),
      entry('100644', 'index.html', index),
    ]);
    const treeId = await git(['hash-object', '-t', 'tree', '-w', '--literally'], dir, tree);
    const commit = await git(['commit-tree', treeId, '-m', 'duplicated Procfile'], dir);
    await git(['update-ref', 'refs/heads/main', commit], dir);
    const pushed = await push(dir);
    expect(pushed.code).not.toBe(0);
    expect(pushed.output).toMatch(/duplicateEntries|contains duplicate file entries/);
    expect(pushed.output).not.toContain(secret);
    const builds = await platd.plat(['builds', '-a', 'dupes', '--json']);
    expect(JSON.parse(builds.stdout)).toEqual([]);
    await otherAppServes();
  });

  it('fails a build cleanly when the Procfile is over the read limit or the tree over the push limit', async () => {
    const dir = await appWithRepo('big');
    await commitFiles(dir, { 'index.html': 'x\n', Procfile: `web: x\n${'#'.repeat(2 * 1024 * 1024)}\n` });
    const large = await push(dir);
    expect(large.code).not.toBe(0);
    expect(large.output).toContain('Procfile is over 1024 KB');

    // 1 GB of zeros packs small enough for git, and is refused while it streams in.
    truncateSync(join(dir, 'Procfile'), 1024 ** 3);
    await git(['add', 'Procfile'], dir);
    await git(['commit', '-q', '-m', '1 GB Procfile'], dir);
    const huge = await push(dir);
    expect(huge.code).not.toBe(0);
    expect(huge.output).toContain('The pushed source is over the 5 MB limit');
    rmSync(join(dir, 'Procfile'));
    await otherAppServes();
  });

  it('refuses a pack over the limit on a side branch, storing nothing', async () => {
    const dir = await appWithRepo('sidepush');
    await commitFiles(dir, { 'index.html': 'x\n' });
    await git(['checkout', '-q', '-b', 'side'], dir);
    writeFileSync(join(dir, 'noise.bin'), randomBytes(6 * 1024 * 1024));
    await git(['add', 'noise.bin'], dir);
    await git(['commit', '-q', '-m', 'noise'], dir);
    const pushed = await push(dir, 'side');
    expect(pushed.code).not.toBe(0);
    expect(pushed.output).toContain('pack exceeds maximum allowed size');
    const refs = await run('git', ['ls-remote', 'platform'], { cwd: dir, env: platd.userEnv });
    expect(refs.stdout).not.toContain('refs/heads/side');
    await otherAppServes();
  });
});

describe('labels Plat reads off its containers', () => {
  it('refuses an image whose Dockerfile sets them, keeping no image and starting nothing', async () => {
    const docker = new Docker();
    const mine = { label: [`plat.instance=${platd.instance}`] };
    const containersBefore = (await docker.listContainers({ all: true, filters: mine })).map((c) => c.Id).sort();
    const dir = await appWithRepo('labels');
    // Docker copies image labels onto containers: these would make a dyno read as a one-off or an add-on.
    await commitFiles(dir, {
      Dockerfile: [
        'FROM plat/stack:latest',
        // Build steps' containers carry these too while they run: they must not read as the victim's dynos.
        'LABEL plat.one-off=true plat.addon=victim-db plat.dyno=web.9 plat.app=victim plat.process=web',
        'RUN true',
        'RUN exit 0',
        'CMD exec python3 -m http.server $PORT',
        '',
      ].join('\n'),
    });
    const pushed = await push(dir);
    expect(pushed.code, pushed.output).not.toBe(0);
    expect(pushed.output).toContain(
      'The image sets labels that Plat reserves (plat.addon, plat.app, plat.dyno, plat.one-off, plat.process); ' +
        'remove them from the Dockerfile',
    );
    const tagged = await docker.listImages({ filters: { reference: [`plat/${platd.instance}-labels`] } });
    expect(tagged).toEqual([]);
    const containersAfter = (await docker.listContainers({ all: true, filters: mine })).map((c) => c.Id).sort();
    expect(containersAfter).toEqual(containersBefore);
    const releases = JSON.parse((await platd.plat(['releases', '-a', 'labels', '--json'])).stdout);
    expect(releases.map((r: { description: string }) => r.description)).toEqual(['Initial release']);
    await otherAppServes();
    // The build steps' exits were no crash of the victim's.
    const logs = await platd.plat(['logs', '-a', 'victim', '-n', '500']);
    expect(logs.stdout).not.toMatch(/crashed|web\.9/);
    const ps = JSON.parse((await platd.plat(['ps', '-a', 'victim', '--json'])).stdout) as { name: string }[];
    expect(ps.map((dyno) => dyno.name)).toEqual(['web.1']);
  });
});
