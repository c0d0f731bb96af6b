/**
 * The two state databases Plat supports, for tests that must pass on both:
 * the PostgreSQL server platd runs itself in its data dir (the default) and
 * this machine's PostgreSQL server named by a URL (each run in its own
 * database, dropped afterwards).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../store/database.js';
import { createScratchDatabase } from '../store/scratch-database.js';
import { StateServer } from '../store/state-server.js';

const SERVER = process.env.PLAT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  database: Database;
  dispose(): Promise<void>;
}

export interface Backend {
  name: string;
  open(): Promise<TestDatabase>;
}

export const backends: Backend[] = [
  {
    name: 'supervised state server',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'plat-store-'));
      const database = await openDatabase({ dataDir: dir });
      return {
        database,
        dispose: async () => {
          await database.close();
          await new StateServer({ dataDir: dir }).stop();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'PostgreSQL server',
    async open() {
      const scratch = await createScratchDatabase(SERVER);
      const database = await openDatabase({ databaseUrl: scratch.url, dataDir: tmpdir() });
      return {
        database,
        dispose: async () => {
          await database.close();
          await scratch.drop();
        },
      };
    },
  },
];
