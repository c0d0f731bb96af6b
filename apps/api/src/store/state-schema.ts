import type { Sql } from './database.js';

export interface StateSchema {
  /** This database's own tables in schema public, by name. */
  tables: ReadonlySet<string>;
  /** Its own sequences in schema public, by name. */
  sequences: ReadonlySet<string>;
}

/** This database's own tables and sequences, the only ones a dump's rows may go to. */
export async function ownSchema(sql: Sql): Promise<StateSchema> {
  const rows = await sql<{ name: string; kind: string }[]>`
    select c.relname as name, c.relkind::text as kind from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p', 'S')`;
  const of = (kind: (value: string) => boolean) => new Set(rows.filter((row) => kind(row.kind)).map((row) => row.name));
  return { tables: of((kind) => kind !== 'S'), sequences: of((kind) => kind === 'S') };
}
