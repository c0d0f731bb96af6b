/**
 * The state store on both databases Plat supports, from the same test code:
 * the embedded PGlite default and this machine's PostgreSQL server.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findApp, insertApp } from './apps.js';
import { backends } from '../testing/backends.js';
import type { Database } from './database.js';
import { migrate, MIGRATIONS_DIR } from './migrate.js';
import { currentRelease, insertRelease, setReleaseStatus } from './releases.js';
import { createTokenRow, ensureUser, findUserByToken, hashToken } from './users.js';

describe.each(backends)('state store on $name', (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ database, dispose } = await backend.open());
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('applies migrations once, even when two starts race', async () => {
    const [first, second] = await Promise.all([migrate(database.sql), migrate(database.sql)]);
    const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
    expect(files.length).toBeGreaterThan(1);
    expect([...first!, ...second!].sort()).toEqual(files);
    expect(await migrate(database.sql)).toEqual([]);
  });

  it('stores only token hashes and finds users by token', async () => {
    const user = await ensureUser(database.sql, 'dev@example.com', false);
    const { token } = await createTokenRow(database.sql, user.id, 'test');
    const rows = await database.sql<{ hash: string }[]>`select hash from tokens where user_id = ${user.id}`;
    expect(rows.map((row) => row.hash)).toEqual([hashToken(token)]);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(await findUserByToken(database.sql, token)).toMatchObject({ email: 'dev@example.com', admin: false });
    expect(await findUserByToken(database.sql, `${token}x`)).toBeUndefined();
  });

  it('gives concurrent releases distinct, ordered versions', async () => {
    const owner = await ensureUser(database.sql, 'owner@example.com', false);
    const app = (await insertApp(database.sql, 'busy-app', owner.id))!;
    expect(await insertApp(database.sql, 'busy-app', owner.id)).toBeUndefined();
    const releases = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        insertRelease(database.sql, app.id, { description: `Set N${i}`, image: 'img', config: { N: String(i) }, processTypes: { web: 'x' } }),
      ),
    );
    expect(releases.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(await currentRelease(database.sql, app.id)).toBeUndefined();
    await setReleaseStatus(database.sql, releases[3]!.id, 'succeeded');
    expect((await currentRelease(database.sql, app.id))?.id).toBe(releases[3]!.id);
    expect((await findApp(database.sql, 'busy-app'))?.owner_email).toBe('owner@example.com');
  });
});
