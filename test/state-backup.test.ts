/**
 * plat admin:backup on one Plat, plat admin:restore on a fresh one (another
 * data dir and ports): the apps, their config and releases are there, the
 * old tokens work, and the app serves through the new router. A backup
 * whose dump was crafted to run a command on the host is refused, running
 * nothing and changing nothing.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { exampleRepo } from './support/app-repo.js';
import { get } from './support/http.js';
import { startPlatd, type Platd } from './support/platd.js';
import { until } from './support/until.js';

let source: Platd;
let fresh: Platd;
let backup: string;

beforeAll(async () => {
  source = await startPlatd();
  fresh = await startPlatd();
});

afterAll(async () => {
  await fresh?.destroy();
  await source?.destroy();
});

/** plat as a user logged in to `platd` with `token`. */
const platAs = (platd: Platd, token: string, args: string[]) =>
  platd.plat(args, { env: { PLAT_API_URL: platd.apiUrl, PLAT_TOKEN: token } });

it('backs up the state of a Plat with a deployed app to a private file', async () => {
  const repo = await exampleRepo(source, 'static-site');
  expect((await source.plat(['login', '--api-url', source.apiUrl, '--token', source.adminToken])).code).toBe(0);
  expect((await source.plat(['apps:create', 'kept'], { cwd: repo })).code).toBe(0);
  const push = await source.git(['push', 'platform', 'main'], repo);
  expect(push.code, push.output).toBe(0);
  expect((await source.plat(['config:set', 'GREETING=kept', '-a', 'kept'])).code).toBe(0);

  backup = join(dirname(source.dataDir), 'plat-state.tar');
  const saved = await source.plat(['admin:backup', backup]);
  expect(saved.code, saved.output).toBe(0);
  expect(saved.stdout).toContain(`Backed up the state to ${backup}`);
  expect(statSync(backup).mode & 0o777).toBe(0o600);
  expect((await source.plat(['admin:backup', backup])).output).toContain('exists: name another file');
});

it('refuses a file that is not a state backup, changing nothing', async () => {
  const junk = join(dirname(fresh.dataDir), 'junk.tar');
  writeFileSync(junk, 'not a tar at all\n'.repeat(100));
  const refused = await platAs(fresh, fresh.adminToken, ['admin:restore', junk]);
  expect(refused.code).not.toBe(0);
  expect(refused.output).toMatch(/not a Plat state backup/);
  const apps = await platAs(fresh, fresh.adminToken, ['apps', '--json']);
  expect(apps.code).toBe(0);
  expect(JSON.parse(apps.stdout)).toEqual([]);
});

it('refuses a backup whose dump runs a command, running nothing and changing nothing', async () => {
  const marker = `/tmp/plat-owned-${randomBytes(6).toString('hex')}`;
  // An attacker's edit: the custom-format TOC keeps each COPY statement as a
  // length-prefixed string outside the compressed data, and the dump has no
  // checksum, so a same-length edit leaves a well-formed dump (and tar: the
  // file's size, so its header and checksum, stay the same) that says only
  // this.
  const tar = readFileSync(backup);
  const start = tar.indexOf('COPY public.apps (');
  expect(start).toBeGreaterThan(0);
  expect(tar.lastIndexOf('COPY public.apps (')).toBe(start);
  const end = tar.indexOf(';\n', start);
  const hostile = `COPY public.apps FROM PROGRAM 'touch ${marker}'`.padEnd(end - start, ' ');
  expect(hostile.length).toBe(end - start);
  tar.write(hostile, start, 'latin1');
  const tampered = join(dirname(fresh.dataDir), 'hostile-state.tar');
  writeFileSync(tampered, tar);
  try {
    const refused = await platAs(fresh, fresh.adminToken, ['admin:restore', tampered]);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain('The state dump holds more than rows (line ');
    expect(refused.output).toMatch(/\(line \d+: COPY public\.apps FROM PROGRAM 'touch \/tmp\/plat-owned-/);
    expect(refused.output).toContain('nothing was changed');
    expect(existsSync(marker)).toBe(false);
    // The fresh Plat's own state is as it was: its token works and it has no apps.
    const apps = await platAs(fresh, fresh.adminToken, ['apps', '--json']);
    expect(apps.code, apps.output).toBe(0);
    expect(JSON.parse(apps.stdout)).toEqual([]);
    expect(readFileSync(join(fresh.dataDir, 'admin-token'), 'utf8').trim()).toBe(fresh.adminToken);
    expect((await platAs(fresh, source.adminToken, ['apps', '--json'])).code).not.toBe(0);
  } finally {
    rmSync(marker, { force: true });
    rmSync(tampered, { force: true });
  }
});

it('restores it into a fresh Plat: the apps, config and releases are there and the old tokens work', async () => {
  const restored = await platAs(fresh, fresh.adminToken, ['admin:restore', backup]);
  expect(restored.code, restored.output).toBe(0);
  expect(restored.stdout).toContain('Restored 1 app(s)');
  expect(readFileSync(join(fresh.dataDir, 'admin-token'), 'utf8').trim()).toBe(source.adminToken);

  const apps = await platAs(fresh, source.adminToken, ['apps', '--json']);
  expect(JSON.parse(apps.stdout).map((app: { name: string }) => app.name)).toEqual(['kept']);
  const config = await platAs(fresh, source.adminToken, ['config', '-a', 'kept', '--json']);
  expect(JSON.parse(config.stdout)).toMatchObject({ GREETING: 'kept' });
  const releases = await platAs(fresh, source.adminToken, ['releases', '-a', 'kept', '--json']);
  // v1 "Initial release", the deploy, the config change.
  expect(JSON.parse(releases.stdout)).toHaveLength(3);
  // The image is on this host: the fresh Plat runs the release without a build.
  await until(
    'kept serving through the fresh Plat router',
    async () => (await get(fresh.routerPort, 'kept.localhost')).status === 200,
    90_000,
  );

  const again = await platAs(fresh, source.adminToken, ['admin:restore', backup]);
  expect(again.code).not.toBe(0);
  expect(again.output).toContain('already has 1 app(s)');
});
