/**
 * replaceState on a real state database: a dump's rows replace the state's
 * (sequences where the dump left them, the state's own schema_migrations
 * kept); a crafted dump runs nothing and changes nothing; rows that do not
 * fit the schema leave the state as it was.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHost } from '@plat/core/host-process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform.js';
import { insertApp, listAppNames } from '../store/apps.js';
import { insertAudit } from '../store/audit.js';
import { appliedMigrations, migrate } from '../store/migrate.js';
import { ensureUser } from '../store/users.js';
import { backends, type TestDatabase } from '../testing/backends.js';
import { dumpState, replaceState } from './state-backup.js';

const tricky = "\\.\nCOPY public.apps FROM PROGRAM 'touch /tmp/x';\n\\! id\r\n\ttab é";

describe.each(backends)('replacing the state with a dump on $name', (backend) => {
  let state: TestDatabase;
  let other: TestDatabase | undefined;
  let dir: string;
  let platform: Platform;
  let dump: string;

  /** The rows a replace must keep or put back, as text. */
  async function snapshot() {
    const { sql } = state.database;
    const [seq] = await sql<{ last: string; called: boolean }[]>`
      select last_value::text as last, is_called as called from audit_events_id_seq`;
    return {
      apps: await listAppNames(sql),
      audit: await sql`select id::text, actor, action from audit_events order by id`,
      seq,
      migrations: await sql`select name, applied_at from schema_migrations order by name`,
    };
  }

  beforeAll(async () => {
    state = await backend.open();
    const { sql, clientArgs } = state.database;
    await migrate(sql);
    dir = mkdtempSync(join(tmpdir(), 'plat-state-replace-'));
    platform = { sql, stateClientArgs: clientArgs, settings: { dataDir: dir } } as unknown as Platform;
    const user = await ensureUser(sql, 'dev@example.com', true);
    const app = await insertApp(sql, 'kept', user.id);
    for (const action of ['one', 'two', 'three'])
      await insertAudit(sql, { appId: app!.id, appName: 'kept', actor: tricky, action });
    dump = join(dir, 'state.dump');
    await dumpState(platform, dump);
  }, 60_000);

  afterAll(async () => {
    await other?.dispose();
    await state?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("puts the dump's rows back, sequences where it left them, keeping this state's migrations", async () => {
    const { sql } = state.database;
    const before = await snapshot();
    expect(before.seq).toEqual({ last: '3', called: true });
    const user = await ensureUser(sql, 'later@example.com', false);
    await insertApp(sql, 'made-later', user.id);
    for (let i = 0; i < 5; i++) await insertAudit(sql, { appId: null, appName: 'x', actor: 'later', action: 'later' });
    await sql`update schema_migrations set applied_at = applied_at + interval '1 day'`;
    const migrations = await snapshot().then((now) => now.migrations);

    await replaceState(platform, dump, await appliedMigrations(sql));

    const after = await snapshot();
    expect(after.apps).toEqual(['kept']);
    expect(after.audit).toEqual(before.audit);
    expect(after.audit.map((row) => row.actor)).toEqual([tricky, tricky, tricky]);
    expect(after.seq).toEqual({ last: '3', called: true });
    expect(after.migrations).toEqual(migrations);
  });

  it('refuses a dump crafted to run a command, running nothing and changing nothing', async () => {
    const marker = join(tmpdir(), `plat-owned-${randomBytes(6).toString('hex')}`);
    const bytes = readFileSync(dump);
    const start = bytes.indexOf('COPY public.apps (');
    const end = bytes.indexOf(';\n', start);
    // Same length: the custom format stores the statement length-prefixed, and has no checksum.
    bytes.write(`COPY public.apps FROM PROGRAM 'touch ${marker}'`.padEnd(end - start, ' '), start, 'latin1');
    const hostile = join(dir, 'hostile.dump');
    writeFileSync(hostile, bytes);
    const before = await snapshot();
    try {
      const migrations = await appliedMigrations(state.database.sql);
      await expect(replaceState(platform, hostile, migrations)).rejects.toThrow(
        /^The state dump holds more than rows \(line \d+: COPY public\.apps FROM PROGRAM 'touch .*; nothing was/,
      );
      expect(existsSync(marker)).toBe(false);
      expect(await snapshot()).toEqual(before);
    } finally {
      rmSync(marker, { force: true });
    }
  });

  it('leaves the state as it was when rows do not fit its schema', async () => {
    // Another Plat's state with a row this schema refuses (a user with no email).
    other = await backend.open();
    await migrate(other.database.sql);
    await other.database.sql`alter table users alter column email drop not null`;
    await other.database.sql`insert into users (email, admin) values (null, false)`;
    const misfit = join(dir, 'misfit.dump');
    const dumped = await runHost('/usr/lib/postgresql/15/bin/pg_dump', [
      ...other.database.clientArgs,
      '--format=custom',
      '--file',
      misfit,
    ]);
    expect(dumped.code, dumped.output).toBe(0);
    const before = await snapshot();
    await expect(replaceState(platform, misfit, await appliedMigrations(state.database.sql))).rejects.toThrow(
      /^The state dump did not load, and the state is as it was: .*null value in column "email"/s,
    );
    expect(await snapshot()).toEqual(before);
  });
});
