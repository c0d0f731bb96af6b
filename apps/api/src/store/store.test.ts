/**
 * The state store on both databases Plat supports, from the same test code:
 * the embedded PGlite default and this machine's PostgreSQL server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findApp, insertApp } from './apps.js';
import { openDatabase, type Database } from './database.js';
import { migrate } from './migrate.js';
import { currentRelease, insertRelease, setReleaseStatus } from './releases.js';
import { createToken, ensureUser, findUserByToken, hashToken } from './users.js';

const SERVER = process.env.PLAT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface Backend {
  name: string;
  open(): Promise<{ database: Database; dispose(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'embedded PGlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'plat-store-'));
      const database = await openDatabase({ dataDir: dir });
      return {
        database,
        dispose: async () => {
          await database.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'PostgreSQL server',
    async open() {
      // Each run gets its own database, dropped afterwards.
      const name = `plat_test_${randomBytes(4).toString('hex')}`;
      const admin = postgres(SERVER, { max: 1, onnotice: () => {} });
      await admin.unsafe(`create database ${name}`);
      const url = new URL(SERVER);
      url.pathname = `/${name}`;
      const database = await openDatabase({ databaseUrl: url.toString(), dataDir: tmpdir() });
      return {
        database,
        dispose: async () => {
          await database.close();
          await admin.unsafe(`drop database if exists ${name} with (force)`);
          await admin.end();
        },
      };
    },
  },
];

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
    expect([...first!, ...second!].sort()).toEqual(['001_initial.sql']);
    expect(await migrate(database.sql)).toEqual([]);
  });

  it('stores only token hashes and finds users by token', async () => {
    const user = await ensureUser(database.sql, 'dev@example.com', false);
    const token = await createToken(database.sql, user.id, 'test');
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
