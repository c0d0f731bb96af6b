/**
 * A review app through the service, over the real state store, real git and
 * the in-memory runtime: the branch of the staging app becomes the review
 * app's main and its tree reaches the build (stopped there: no Docker).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { branchHead, ensureRepository, repoPath } from '@plat/builder';
import { PlatError } from '@plat/core';
import { runHost } from '@plat/core/host-process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findApp, insertApp } from '../store/apps.js';
import { findReviewApp } from '../store/pipelines.js';
import { ensureUser, type User } from '../store/users.js';
import { backends } from '../testing/backends.js';
import { startFakePlatform, type FakePlatform } from '../testing/fake-platform.js';
import { createPipeline, pipelineForUser } from './pipelines.js';
import { createReviewApp } from './review-apps.js';

// Nothing here may reach a Docker Engine (the build-cache prune after a build would list images).
process.env.DOCKER_HOST = 'unix:///nonexistent/plat-review-apps-test.sock';

let fake: FakePlatform;
let owner: User;
let work: string;
const built: string[] = [];
const logged: string[] = [];

async function git(args: string[], cwd: string): Promise<string> {
  const result = await runHost('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd });
  if (result.code !== 0) throw new Error(`git ${args[0]}: ${result.stderr}`);
  return result.stdout.trim();
}

beforeAll(async () => {
  fake = await startFakePlatform(backends.find((backend) => backend.name === 'PostgreSQL server')!);
  // The build stops where Docker would begin; what it was given is what the test checks.
  fake.platform.images.build = async (spec) => {
    spec.context?.destroy();
    built.push(spec.tag);
    throw new PlatError('build_failed', 'stopped before Docker');
  };
  fake.platform.log = (line) => logged.push(line);
  const { sql, reposDir } = fake.platform;
  owner = await ensureUser(sql, 'review@example.com', false);
  await insertApp(sql, 'shop-staging', owner.id);
  await ensureRepository(reposDir, 'shop-staging');
  work = mkdtempSync(join(tmpdir(), 'plat-review-work-'));
  await git(['init', '-q', '-b', 'main'], work);
  writeFileSync(join(work, 'requirements.txt'), 'flask\n');
  writeFileSync(join(work, 'Procfile'), 'web: gunicorn app:app\n');
  await git(['add', '-A'], work);
  await git(['commit', '-q', '-m', 'one'], work);
  await git(['checkout', '-q', '-b', 'feature/x'], work);
  writeFileSync(join(work, 'app.py'), 'app = None\n');
  writeFileSync(join(work, 'app.json'), JSON.stringify({ addons: ['redis'], scripts: { 'pr-predestroy': 'true' } }));
  await git(['add', '-A'], work);
  await git(['commit', '-q', '-m', 'two'], work);
  await git(['push', '-q', repoPath(reposDir, 'shop-staging'), 'main', 'feature/x'], work);
  await createPipeline(fake.platform, owner, { name: 'shop', app: 'shop-staging', stage: 'staging' });
});
afterAll(async () => {
  await fake?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('createReviewApp', () => {
  it('refuses a branch the staging app does not have', async () => {
    const pipeline = await pipelineForUser(fake.platform, owner, 'shop');
    await expect(createReviewApp(fake.platform, owner, pipeline, { branch: 'nope' })).rejects.toThrow(
      'shop-staging has no branch nope',
    );
    expect(await findApp(fake.platform.sql, 'shop-pr-nope')).toBeUndefined();
  });

  it("builds the branch's tree as the review app's main, and keeps the app when the build fails", async () => {
    const pipeline = await pipelineForUser(fake.platform, owner, 'shop');
    await expect(
      createReviewApp(fake.platform, owner, pipeline, { branch: 'feature/x', ttl_seconds: 3600 }),
    ).rejects.toThrow(/The review app shop-pr-feature-x was made, but its build failed: stopped before Docker/);
    expect(logged.filter((line) => line.includes('failed (ref'))).toEqual([]);
    expect(built).toHaveLength(1);
    const app = (await findApp(fake.platform.sql, 'shop-pr-feature-x'))!;
    const head = await git(['rev-parse', 'feature/x'], work);
    expect(await branchHead(fake.platform.reposDir, app.name, 'refs/heads/main')).toBe(head);
    expect(await findReviewApp(fake.platform.sql, app.id)).toMatchObject({ branch: 'feature/x', source_commit: head });
  });
});
