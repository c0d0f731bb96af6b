import { mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { migrate, MIGRATIONS_DIR } from './migrate.js';
import { StateServer } from './state-server.js';

/** Rows per insert: bounded statements even for a long log table. */
const BATCH = 500;

interface Pglite {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
  close(): Promise<void>;
}

/**
 * Moves the state of an older Plat, kept in an embedded PGlite database in
 * `<data dir>/pgdata`, into the state server platd now runs: the server is
 * made, given the schema the old state had (the same migration files), and
 * loaded table by table in one transaction; sequences continue where they
 * were; every table's row count is compared. Only then is `pgdata` renamed
 * to `pgdata.imported` (kept, never deleted). If anything fails, the new
 * server's folder is removed again and `pgdata` stays where it was.
 * The caller holds the data dir lock.
 */
export async function importPgliteState(options: {
  dataDir: string;
  log?: (line: string) => void;
}): Promise<{ tables: Record<string, number> }> {
  const log = options.log ?? (() => {});
  const legacy = join(options.dataDir, 'pgdata');
  if (!existsSync(legacy)) throw new Error(`${legacy} does not exist: there is no PGlite state to import`);
  const server = new StateServer({ dataDir: options.dataDir, besidePglite: true });
  if (existsSync(server.dir))
    throw new Error(
      `${server.dir} already exists: ` +
        'the PGlite state can only be imported into a data dir without a state server; nothing was changed',
    );
  // Loaded only here: platd itself never runs PGlite (it costs ~0.5-0.9 GB).
  const { PGlite } = await import('@electric-sql/pglite');
  const old = (await PGlite.create(legacy)) as unknown as Pglite;
  let made = false;
  let sql: postgres.Sql | undefined;
  try {
    const applied = (await old.query<{ name: string }>('select name from schema_migrations order by name')).rows.map(
      (row) => row.name,
    );
    const known = new Set(readdirSync(MIGRATIONS_DIR));
    const unknown = applied.filter((name) => !known.has(name));
    if (unknown.length > 0)
      throw new Error(`${legacy} was migrated by a newer Plat (${unknown.join(', ')}); import it with that version`);
    const tables = (
      await old.query<{ name: string }>(
        "select tablename as name from pg_tables where schemaname = 'public' " +
          "and tablename <> 'schema_migrations' order by tablename",
      )
    ).rows.map((row) => row.name);

    // The new server, with the schema the old state had; platd's next start applies the rest.
    made = true;
    const started = await server.start();
    log(`made the state server in ${server.dir} (pid ${started.pid})`);
    sql = postgres({ path: server.socketPath, max: 1, username: 'postgres', database: 'postgres', onnotice: () => {} });
    const subset = mkdtempSync(join(tmpdir(), 'plat-import-'));
    try {
      for (const name of applied) symlinkSync(join(MIGRATIONS_DIR, name), join(subset, name));
      await migrate(sql, subset);
    } finally {
      rmSync(subset, { recursive: true, force: true });
    }

    const counts: Record<string, number> = {};
    await sql.begin(async (tx) => {
      // Foreign keys are checked by the old database already; loading in any table order needs them off.
      await tx`set local session_replication_role = replica`;
      for (const table of tables) {
        const ident = `"${table.replace(/"/g, '""')}"`;
        let copied = 0;
        for (let offset = 0; ; offset += BATCH) {
          // Text through JSON: every type converts back by its own input function.
          const { rows } = await old.query<{ row: string }>(
            `select row_to_json(t)::text as row from ${ident} t order by ctid limit ${BATCH} offset ${offset}`,
          );
          if (rows.length === 0) break;
          const json = `[${rows.map((r) => r.row).join(',')}]`;
          await tx.unsafe(
            `insert into ${ident} select * from json_populate_recordset(null::${ident}, $1::text::json)`,
            [json],
          );
          copied += rows.length;
        }
        const [{ count }] = (await tx.unsafe(`select count(*)::int as count from ${ident}`)) as unknown as [
          { count: number },
        ];
        if (count !== copied) throw new Error(`${table}: ${copied} rows read but ${count} in the new server`);
        counts[table] = count;
      }
      const sequences = (
        await old.query<{ name: string; last: string | null }>(
          "select sequencename as name, last_value::text as last from pg_sequences where schemaname = 'public'",
        )
      ).rows;
      for (const sequence of sequences)
        if (sequence.last !== null)
          await tx`select setval(${`"${sequence.name.replace(/"/g, '""')}"`}::regclass, ${sequence.last}::bigint)`;
    });
    await sql.end({ timeout: 5 });
    sql = undefined;
    await old.close();
    renameSync(legacy, `${legacy}.imported`);
    made = false;
    log(
      `imported ${Object.entries(counts)
        .map(([table, count]) => `${table} ${count}`)
        .join(', ')}; the old folder is now ${legacy}.imported`,
    );
    return { tables: counts };
  } catch (error) {
    await sql?.end({ timeout: 5 }).catch(() => {});
    await old.close().catch(() => {});
    if (made) {
      await server.stop().catch(() => {});
      rmSync(server.dir, { recursive: true, force: true });
    }
    throw error;
  }
}
