/**
 * Promotion through the services, over the real state store and the
 * in-memory runtime: the downstream release runs the same image under a tag
 * of its own, with its own config and its own release phase; nothing is
 * released unless the user may use every target; pruning the source's
 * images leaves the one the target runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertApp, updateConfigVars, type AppRow } from '../store/apps.js';
import { addCollaborator, listCollaborators } from '../store/collaborators.js';
import { couplingOf, expiredReviewApps, insertReviewApp, shareReviewApp } from '../store/pipelines.js';
import { currentRelease, insertRelease, listReleases, setReleaseStatus } from '../store/releases.js';
import { ensureUser, type User } from '../store/users.js';
import { backends } from '../testing/backends.js';
import { startFakePlatform, type FakePlatform } from '../testing/fake-platform.js';
import { addPipelineApp, createPipeline, pipelineForUser } from './pipelines.js';
import { promote } from './promotion.js';
import { pruneImages } from './releases.js';

let fake: FakePlatform;
let owner: User;
let bob: User;
let staging: AppRow;
let prod: AppRow;

/** A succeeded release of an image the fake runtime holds for the app, as a build would leave it. */
async function builtRelease(app: AppRow, image: string) {
  const images = fake.runtime.images.get(app.id) ?? new Set<string>();
  images.add(image);
  fake.runtime.images.set(app.id, images);
  const release = await insertRelease(fake.platform.sql, app.id, {
    description: 'Deploy 1234567',
    image,
    config: {},
    processTypes: { web: 'gunicorn app:app', release: 'python migrate.py' },
  });
  await setReleaseStatus(fake.platform.sql, release.id, 'succeeded');
  return release;
}

beforeAll(async () => {
  fake = await startFakePlatform(backends.find((backend) => backend.name === 'PostgreSQL server')!, {
    keepReleases: 1,
  });
  const { sql } = fake.platform;
  owner = await ensureUser(sql, 'owner@example.com', false);
  bob = await ensureUser(sql, 'bob@example.com', false);
  staging = (await insertApp(sql, 'shop-staging', owner.id))!;
  prod = (await insertApp(sql, 'shop-prod', owner.id))!;
  await updateConfigVars(sql, prod.id, { STAGE: 'production' });
  await createPipeline(fake.platform, owner, { name: 'shop', app: 'shop-staging', stage: 'staging' });
  const pipeline = await pipelineForUser(fake.platform, owner, 'shop');
  await addPipelineApp(fake.platform, owner, pipeline, { app: 'shop-prod', stage: 'production' });
  await addCollaborator(sql, staging.id, bob.id);
});
afterAll(async () => {
  await fake?.close();
});

describe('promote', () => {
  it('refuses a source whose releases have no image yet (v1, config before the first deploy)', async () => {
    expect((await listReleases(fake.platform.sql, staging.id)).map((r) => r.image)).toEqual([null]);
    await expect(promote(fake.platform, owner, staging, undefined)).rejects.toMatchObject({
      id: 'invalid_params',
      message: 'shop-staging has no release to promote yet: deploy it first.',
    });
  });

  it('refuses a user who may not use every target, and releases nothing', async () => {
    await builtRelease(staging, 'plat/x-shop-staging:aaaaaaaaaaaa');
    await expect(promote(fake.platform, bob, staging, undefined)).rejects.toThrow(
      'You do not have access to the app shop-prod.',
    );
    // Only its own v1, "Initial release".
    expect((await listReleases(fake.platform.sql, prod.id)).map((r) => r.description)).toEqual(['Initial release']);
  });

  it("refuses a member's own app downstream: only the pipeline's owner adds apps", async () => {
    const bobsProd = (await insertApp(fake.platform.sql, 'bobs-prod', bob.id))!;
    const pipeline = await pipelineForUser(fake.platform, bob, 'shop');
    await expect(
      addPipelineApp(fake.platform, bob, pipeline, { app: 'bobs-prod', stage: 'production' }),
    ).rejects.toMatchObject({ id: 'forbidden', message: expect.stringContaining('Only the owner') });
    expect(await couplingOf(fake.platform.sql, bobsProd.id)).toBeUndefined();
  });

  it("releases the source's image to production with production's config and release phase", async () => {
    const ran: string[] = [];
    fake.runtime.oneOffOutcome = (spec) => {
      ran.push(`${spec.app} ${spec.command} ${spec.env.STAGE ?? ''}`.trim());
      return { lines: [], exitCode: 0 };
    };
    const source = (await currentRelease(fake.platform.sql, staging.id))!;
    const promotion = await promote(fake.platform, owner, staging, undefined);
    expect(promotion.targets).toMatchObject([{ app: 'shop-prod', status: 'succeeded' }]);
    const made = (await currentRelease(fake.platform.sql, prod.id))!;
    expect(made.description).toBe(`Promote shop-staging v${source.version}`);
    expect(made.config).toEqual({ STAGE: 'production' });
    expect(made.image).toMatch(/^plat\/.+-shop-prod:[0-9a-f-]{12}$/);
    // The same image: one more tag on the image built for staging.
    expect([...fake.runtime.images.get(staging.id)!].sort()).toEqual([made.image, source.image].sort());
    expect(ran).toEqual(['shop-prod python migrate.py production']);
  });

  it("keeps production's tag when staging prunes the image it no longer needs", async () => {
    const promoted = (await currentRelease(fake.platform.sql, prod.id))!.image!;
    await builtRelease(staging, 'plat/x-shop-staging:bbbbbbbbbbbb');
    // Docker lists an image's tags in no set order: here the promoted one comes first,
    // and untagging it would succeed (the image has another name).
    const tags = fake.runtime.images.get(staging.id)!;
    tags.delete('plat/x-shop-staging:aaaaaaaaaaaa');
    tags.add('plat/x-shop-staging:aaaaaaaaaaaa');
    expect(await pruneImages(fake.platform, staging)).toEqual(['plat/x-shop-staging:aaaaaaaaaaaa']);
    expect(fake.runtime.images.get(staging.id)!.has(promoted)).toBe(true);
    expect(await pruneImages(fake.platform, prod)).toEqual([]);
  });

  it('refuses to promote production further', async () => {
    await expect(promote(fake.platform, owner, prod, undefined)).rejects.toThrow('production is the last stage');
  });
});

describe('review apps', () => {
  it("are shared with the source app's team, and found once expires_at has passed", async () => {
    const { sql } = fake.platform;
    const review = (await insertApp(sql, 'shop-pr-x', owner.id))!;
    const pipeline = await pipelineForUser(fake.platform, owner, 'shop');
    const expiresAt = new Date('2026-01-02T00:00:00Z');
    await insertReviewApp(sql, {
      appId: review.id,
      pipelineId: pipeline.id,
      sourceAppId: staging.id,
      branch: 'x',
      commit: 'a'.repeat(40),
      expiresAt,
    });
    await shareReviewApp(sql, review.id, staging.id);
    expect((await listCollaborators(sql, review.id)).map((c) => c.email)).toEqual(['bob@example.com']);
    expect(await expiredReviewApps(sql, new Date('2026-01-01T23:59:59Z'))).toEqual([]);
    expect((await expiredReviewApps(sql, expiresAt)).map((row) => [row.app_name, row.pipeline_name])).toEqual([
      ['shop-pr-x', 'shop'],
    ]);
  });
});
