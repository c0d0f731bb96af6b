/**
 * An older Plat's state (embedded PGlite, `pgdata`) moved once into the
 * state server: every row, sequences continuing, the rest of the schema
 * applied by the next start; and an import that cannot finish leaves
 * `pgdata` as it was and no half-made server.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import { migrate, MIGRATIONS_DIR } from './migrate.js';
import { importPgliteState } from './pglite-import.js';
import { StateServer } from './state-server.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) {
    await new StateServer({ dataDir: dir, besidePglite: true }).stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A data dir as an older Plat left it: PGlite with the first `migrations` files applied, and some state. */
async function olderPlat(migrations: number, extra = ''): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'plat-pglite-'));
  dirs.push(dir);
  const db = await PGlite.create(join(dir, 'pgdata'));
  await db.exec(
    'create table schema_migrations (name text primary key, applied_at timestamptz not null default now())',
  );
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d+_[\w-]+\.sql$/.test(f))
    .sort()
    .slice(0, migrations);
  for (const file of files) {
    await db.exec(readFileSync(join(MIGRATIONS_DIR, file), 'utf8'));
    await db.query('insert into schema_migrations (name) values ($1)', [file]);
  }
  await db.exec(`
    insert into users (email, admin) values ('dev@example.com', false);
    insert into apps (name, owner_id) select 'old-app', id from users;
    insert into config_vars (app_id, key, value) select id, 'GREETING', 'it''s "kept"' from apps;
    insert into releases (app_id, version, description, status, image, config, process_types)
      select id, 1, 'Deploy 1a2b3c4', 'succeeded', 'img', '{"GREETING": "it''s \\"kept\\""}',
        '{"web": "gunicorn app:app"}' from apps;
    insert into audit_events (app_id, app_name, actor, action, data)
      select apps.id, 'old-app', 'dev@example.com', 'config:set', json_build_object('n', n)
      from apps, generate_series(1, 1200) n;
    ${extra}
  `);
  await db.close();
  return dir;
}

function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map((entry) => {
    const stat = statSync(join(dir, String(entry)));
    return `${entry} ${stat.size} ${stat.mtimeMs}`;
  });
}

describe("importing an older Plat's PGlite state", () => {
  it('moves every row into the state server, and the next start finishes the schema', async () => {
    const dir = await olderPlat(8);
    const lines: string[] = [];
    const { tables } = await importPgliteState({ dataDir: dir, log: (line) => lines.push(line) });
    expect(tables).toMatchObject({ users: 1, apps: 1, config_vars: 1, releases: 1, audit_events: 1200 });
    expect(existsSync(join(dir, 'pgdata'))).toBe(false);
    expect(existsSync(join(dir, 'pgdata.imported', 'PG_VERSION'))).toBe(true);
    expect(lines.join('\n')).toContain(`the old folder is now ${join(dir, 'pgdata.imported')}`);

    await new StateServer({ dataDir: dir }).stop();
    const database = await openDatabase({ dataDir: dir });
    try {
      const later = readdirSync(MIGRATIONS_DIR)
        .filter((f) => f.endsWith('.sql'))
        .sort()
        .slice(8);
      expect(await migrate(database.sql)).toEqual(later);
      const [app] = await database.sql`select apps.name, users.email from apps join users on users.id = apps.owner_id`;
      expect(app).toEqual({ name: 'old-app', email: 'dev@example.com' });
      const [release] = await database.sql`select version, config, process_types from releases`;
      expect(release).toEqual({
        version: 1,
        config: { GREETING: 'it\'s "kept"' },
        process_types: { web: 'gunicorn app:app' },
      });
      const [config] = await database.sql`select value from config_vars`;
      expect(config!.value).toBe('it\'s "kept"');
      const [last] = await database.sql`select data from audit_events order by id desc limit 1`;
      expect(last!.data).toEqual({ n: 1200 });
      const [next] = await database.sql`insert into audit_events (app_id, app_name, actor, action)
          select id, 'old-app', 'admin', 'rename' from apps returning id`;
      expect(Number(next!.id)).toBe(1201);
    } finally {
      await database.close();
    }
  });

  it('changes nothing when it cannot finish', async () => {
    // A table the new schema does not have: the load fails part-way.
    const dir = await olderPlat(8, 'create table stray (x int); insert into stray values (1);');
    const before = snapshot(join(dir, 'pgdata'));
    await expect(importPgliteState({ dataDir: dir })).rejects.toThrow(/stray/);
    expect(existsSync(join(dir, 'postgres'))).toBe(false);
    expect(snapshot(join(dir, 'pgdata')).map((line) => line.split(' ')[0])).toEqual(
      before.map((line) => line.split(' ')[0]),
    );
    await expect(openDatabase({ dataDir: dir })).rejects.toThrow(
      `Import it once with: PLAT_DATA_DIR=${dir} npm run import-pglite`,
    );
  });

  it('refuses when the data dir has a state server already', async () => {
    const dir = await olderPlat(2);
    const server = new StateServer({ dataDir: dir, besidePglite: true });
    await server.start();
    await server.stop();
    await expect(importPgliteState({ dataDir: dir })).rejects.toThrow(`${join(dir, 'postgres')} already exists`);
    expect(existsSync(join(dir, 'pgdata'))).toBe(true);
  });
});
