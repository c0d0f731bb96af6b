import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

export interface ScratchDatabase {
  /** The new database's URL on the same server. */
  url: string;
  /** Drops it, closing whatever is still connected to it. */
  drop(): Promise<void>;
}

/** A new, empty database of its own on the server `serverUrl` names, for one test run. */
export async function createScratchDatabase(serverUrl: string): Promise<ScratchDatabase> {
  // Hex only, so the name is safe where a parameter cannot go (an identifier).
  const name = `plat_test_${randomBytes(4).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
