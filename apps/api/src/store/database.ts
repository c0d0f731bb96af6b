import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';

export type Sql = postgres.Sql;

export interface Database {
  sql: Sql;
  /** Where the state lives, for the start-up banner (never includes a password). */
  description: string;
  close(): Promise<void>;
}

/**
 * Connects to the state store: the server named by DATABASE_URL, or else an
 * embedded PGlite in the data dir, reached through its socket server with the
 * same `postgres` client (PGlite takes one connection at a time).
 */
export async function openDatabase(options: { databaseUrl?: string; dataDir: string }): Promise<Database> {
  if (options.databaseUrl) {
    const sql = postgres(options.databaseUrl, { max: 10, onnotice: () => {} });
    const url = new URL(options.databaseUrl);
    return { sql, description: `${url.hostname}:${url.port || 5432}${url.pathname}`, close: () => sql.end({ timeout: 5 }) };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const dir = join(options.dataDir, 'pgdata');
  mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir);
  const socketPath = join(options.dataDir, 'pglite.sock');
  // Left behind when platd was killed; main.ts has made sure no other platd uses this data dir.
  rmSync(socketPath, { force: true });
  const server = new PGLiteSocketServer({ db, path: socketPath });
  await server.start();
  const sql = postgres({ path: socketPath, max: 1, username: 'postgres', database: 'postgres', onnotice: () => {} });
  return {
    sql,
    description: `embedded PGlite in ${dir}`,
    close: async () => {
      await sql.end({ timeout: 5 });
      await server.stop();
      await db.close();
    },
  };
}
