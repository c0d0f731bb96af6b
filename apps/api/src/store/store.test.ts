/**
 * The state store on both databases Plat supports, from the same test code:
 * the PostgreSQL server platd supervises (the default) and DATABASE_URL.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findApp, insertApp } from './apps.js';
import { backUpBeforeMigrating } from '../services/state-backup.js';
import { backends } from '../testing/backends.js';
import type { Database } from './database.js';
import { migrate, MIGRATIONS_DIR } from './migrate.js';
import { currentRelease, insertRelease, setReleaseStatus } from './releases.js';
import { createTokenRow, ensureUser, findUserByToken, hashToken, setUserDisabled } from './users.js';

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
    const files = readdirSync(MIGRATIONS_DIR)
      .filter((f) => f.endsWith('.sql'))
      .sort();
    expect(files.length).toBeGreaterThan(1);
    expect([...first!, ...second!].sort()).toEqual(files);
    expect(await migrate(database.sql)).toEqual([]);
  });

  it('leaves the state as it was when a migration fails, and refuses a state a newer Plat migrated', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plat-migrations-'));
    try {
      for (const file of readdirSync(MIGRATIONS_DIR)) cpSync(join(MIGRATIONS_DIR, file), join(dir, file));
      writeFileSync(join(dir, '998_good.sql'), 'create table made_by_998 (x int);\n');
      writeFileSync(join(dir, '999_bad.sql'), 'create table half_made (x int);\nselect 1 / 0;\n');
      const before = await database.sql<{ name: string }[]>`select name from schema_migrations order by name`;
      await expect(migrate(database.sql, dir)).rejects.toThrow(
        /migration 999_bad.sql failed \(division by zero\); the state is as it was/,
      );
      expect(await database.sql`select name from schema_migrations order by name`).toEqual(before);
      const tables =
        await database.sql`select tablename from pg_tables where tablename in ('made_by_998', 'half_made')`;
      expect(tables).toEqual([]);

      await database.sql`insert into schema_migrations (name) values ('997_from_the_future.sql')`;
      await expect(migrate(database.sql)).rejects.toThrow(/migrated by a newer Plat \(it has 997_from_the_future.sql/);
      await database.sql`delete from schema_migrations where name = '997_from_the_future.sql'`;
      expect(await migrate(database.sql)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('backs the state up before migrating an existing state, and only then', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plat-upgrade-'));
    try {
      const options = { sql: database.sql, clientArgs: database.clientArgs, dataDir };
      expect(await backUpBeforeMigrating(options)).toBeUndefined();
      const [last] = await database.sql<
        { name: string }[]
      >`delete from schema_migrations where name = (select max(name) from schema_migrations) returning name`;
      try {
        const file = await backUpBeforeMigrating(options);
        expect(file).toMatch(new RegExp(`/backups/state-before-${last!.name.replace(/\.sql$/, '')}-`));
        const listed = spawnSync('/usr/lib/postgresql/15/bin/pg_restore', ['--list', file!], { encoding: 'utf8' });
        expect(listed.status).toBe(0);
        expect(listed.stdout).toContain('TABLE public apps');
      } finally {
        await database.sql`insert into schema_migrations (name) values (${last!.name})`;
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('upgrades a state made by the previous schema: backed up first, migrated, its rows kept', async () => {
    const previous = await backend.open();
    const dir = mkdtempSync(join(tmpdir(), 'plat-previous-'));
    try {
      const files = readdirSync(MIGRATIONS_DIR)
        .filter((f) => f.endsWith('.sql'))
        .sort();
      for (const file of files.slice(0, -1)) cpSync(join(MIGRATIONS_DIR, file), join(dir, file));
      await migrate(previous.database.sql, dir);
      const user = await ensureUser(previous.database.sql, 'old@example.com', false);
      await previous.database.sql`insert into apps (name, owner_id) values ('from-before', ${user.id})`;
      const file = await backUpBeforeMigrating({
        sql: previous.database.sql,
        clientArgs: previous.database.clientArgs,
        dataDir: dir,
      });
      expect(file).toContain(`state-before-${files.at(-1)!.replace(/\.sql$/, '')}`);
      expect(await migrate(previous.database.sql)).toEqual([files.at(-1)]);
      expect((await findApp(previous.database.sql, 'from-before'))?.owner_id).toBe(user.id);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await previous.dispose();
    }
  });

  it('stores only token hashes and finds users by token', async () => {
    const user = await ensureUser(database.sql, 'dev@example.com', false);
    const { token } = await createTokenRow(database.sql, user.id, { description: 'test' });
    const rows = await database.sql<{ hash: string }[]>`select hash from tokens where user_id = ${user.id}`;
    expect(rows.map((row) => row.hash)).toEqual([hashToken(token)]);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(await findUserByToken(database.sql, token)).toMatchObject({ email: 'dev@example.com', admin: false });
    expect(await findUserByToken(database.sql, `${token}x`)).toBeUndefined();
  });

  it("marks expired tokens and disabled users' tokens, and never counts them as used", async () => {
    const user = await ensureUser(database.sql, 'temp@example.com', false);
    const expired = await createTokenRow(database.sql, user.id, {
      description: 'old',
      expiry: { at: new Date(Date.now() - 1000) },
    });
    const live = await createTokenRow(database.sql, user.id, { description: 'live', expiry: { inSeconds: 3600 } });
    expect(await findUserByToken(database.sql, expired.token)).toMatchObject({
      email: 'temp@example.com',
      expired: true,
      disabled: false,
    });
    expect(await findUserByToken(database.sql, live.token)).toMatchObject({ expired: false, disabled: false });
    expect(await setUserDisabled(database.sql, 'temp@example.com', true)).toMatchObject({ tokens: 2, apps: 0 });
    expect(await findUserByToken(database.sql, live.token)).toMatchObject({ disabled: true });
    const used = await database.sql<{ description: string; last_used_at: Date | null }[]>`
      select description, last_used_at from tokens where user_id = ${user.id} order by description`;
    // "live" was used once while enabled; "old" never got through.
    expect(used.map((row) => [row.description, row.last_used_at !== null])).toEqual([
      ['live', true],
      ['old', false],
    ]);
    expect((await setUserDisabled(database.sql, 'temp@example.com', false))?.disabled_at).toBeNull();
    expect(await setUserDisabled(database.sql, 'nobody@example.com', true)).toBeUndefined();
  });

  it('gives concurrent releases distinct, ordered versions', async () => {
    const owner = await ensureUser(database.sql, 'owner@example.com', false);
    const app = (await insertApp(database.sql, 'busy-app', owner.id))!;
    expect(await insertApp(database.sql, 'busy-app', owner.id)).toBeUndefined();
    const releases = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        insertRelease(database.sql, app.id, {
          description: `Set N${i}`,
          image: 'img',
          config: { N: String(i) },
          processTypes: { web: 'x' },
        }),
      ),
    );
    // v1 is the app's "Initial release"; these follow it.
    expect(releases.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 2));
    expect(await currentRelease(database.sql, app.id)).toBeUndefined();
    await setReleaseStatus(database.sql, releases[3]!.id, 'succeeded');
    expect((await currentRelease(database.sql, app.id))?.id).toBe(releases[3]!.id);
    expect((await findApp(database.sql, 'busy-app'))?.owner_email).toBe('owner@example.com');
  });
});
