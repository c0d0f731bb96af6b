import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql } from './database.js';

export const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../migrations');

// Any fixed number: every platd takes the same lock, so two starting at once
// apply migrations one after the other.
const MIGRATION_LOCK = 74_612_001;

/** This platd's migrations, by file name, in order. */
export function knownMigrations(dir = MIGRATIONS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => /^\d+_[\w-]+\.sql$/.test(f))
    .sort();
}

/** The migrations the state has had. */
export async function appliedMigrations(sql: Sql): Promise<string[]> {
  return (await sql<{ name: string }[]>`select name from schema_migrations order by name`).map((row) => row.name);
}

/**
 * Migrations this platd does not know, found in the state: it was made by a
 * newer Plat, and running on it would be guessing.
 */
export function unknownMigrations(known: string[], done: string[]): string[] {
  const mine = new Set(known);
  return done.filter((name) => !mine.has(name)).sort();
}

/**
 * Applies the numbered SQL files not yet applied, in order, all in one
 * transaction: a failing migration leaves the state exactly as it was. A
 * state that a newer platd has migrated is refused, with nothing changed.
 */
export async function migrate(sql: Sql, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = knownMigrations(dir);
  const applied: string[] = [];
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`create table if not exists schema_migrations
      (name text primary key, applied_at timestamptz not null default now())`;
    const doneNames = (await tx<{ name: string }[]>`select name from schema_migrations`).map((row) => row.name);
    const newer = unknownMigrations(files, doneNames);
    if (newer.length > 0) {
      throw new Error(
        `the state was migrated by a newer Plat (it has ${newer.join(', ')}, which this platd does not know); ` +
          'nothing was changed: run that newer Plat, or restore the state it backed up before upgrading.',
      );
    }
    const done = new Set(doneNames);
    for (const file of files) {
      if (done.has(file)) continue;
      try {
        await tx.unsafe(readFileSync(join(dir, file), 'utf8'));
      } catch (error) {
        throw new Error(
          `migration ${file} failed (${(error as Error).message}); the state is as it was before this start: ` +
            'run the previous Plat version, or fix the cause and start again.',
          { cause: error },
        );
      }
      await tx`insert into schema_migrations (name) values (${file})`;
      applied.push(file);
    }
  });
  return applied;
}
