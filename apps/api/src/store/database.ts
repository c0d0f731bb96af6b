import postgres from 'postgres';
import { StateServer } from './state-server.js';

export type Sql = postgres.Sql;

export interface Database {
  sql: Sql;
  /** Where the state lives, for the start-up banner (never includes a password). */
  description: string;
  /** How pg_dump and pg_restore reach the same database (no shell: an argument array). */
  clientArgs: string[];
  /** Ends the pool (and the supervision of platd's own server, which keeps running). */
  close(): Promise<void>;
}

/** platd's pool: the state server allows 20 connections, for platd, backups and an operator's psql. */
const POOL_SIZE = 10;

/**
 * Connects to the state store: the server named by DATABASE_URL, or else the
 * PostgreSQL server platd runs itself in the data dir (see StateServer),
 * started or adopted here and supervised until close().
 */
export async function openDatabase(options: {
  databaseUrl?: string;
  dataDir: string;
  log?: (line: string) => void;
}): Promise<Database> {
  if (options.databaseUrl) {
    const sql = postgres(options.databaseUrl, { max: POOL_SIZE, onnotice: () => {} });
    const url = new URL(options.databaseUrl);
    return {
      sql,
      description: `${url.hostname}:${url.port || 5432}${url.pathname}`,
      clientArgs: ['--dbname', options.databaseUrl],
      close: () => sql.end({ timeout: 5 }),
    };
  }
  const server = new StateServer({ dataDir: options.dataDir, ...(options.log ? { log: options.log } : {}) });
  const started = await server.start();
  if (started.initialized) options.log?.(`made the state server's database in ${server.dir}`);
  options.log?.(`${started.adopted ? 'adopted the running' : 'started the'} state server (pid ${started.pid})`);
  server.supervise();
  // Idle connections close after a minute: each is a server process holding memory.
  const sql = postgres({
    path: server.socketPath,
    max: POOL_SIZE,
    idle_timeout: 60,
    username: 'postgres',
    database: 'postgres',
    onnotice: () => {},
  });
  return {
    sql,
    description: `PostgreSQL 15 in ${server.dir} (unix socket only)`,
    clientArgs: ['--host', server.dir, '--username', 'postgres', '--dbname', 'postgres'],
    close: async () => {
      server.stopSupervising();
      await sql.end({ timeout: 5 });
    },
  };
}

/** Resolves once the database answers a query; rejects with why it does not. */
export async function pingDatabase(sql: Sql): Promise<void> {
  await sql`select 1`;
}
