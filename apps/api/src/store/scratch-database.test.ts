/** A test run's own database on this machine's PostgreSQL server: made empty, reachable, then gone. */
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { pingDatabase } from './database.js';
import { createScratchDatabase } from './scratch-database.js';

const SERVER = process.env.PLAT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

describe('scratch databases', () => {
  it('makes an empty database of its own and drops it, connections and all', async () => {
    const scratch = await createScratchDatabase(SERVER);
    const name = new URL(scratch.url).pathname.slice(1);
    expect(name).toMatch(/^plat_test_[0-9a-f]{8}$/);
    const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
    try {
      await pingDatabase(sql);
      expect(await sql`select tablename from pg_tables where schemaname = 'public'`).toEqual([]);
      await scratch.drop();
      await expect(pingDatabase(sql)).rejects.toThrow();
    } finally {
      await sql.end({ timeout: 1 });
    }
    const admin = postgres(SERVER, { max: 1, onnotice: () => {} });
    try {
      expect(await admin`select 1 from pg_database where datname = ${name}`).toEqual([]);
    } finally {
      await admin.end();
    }
  });
});
