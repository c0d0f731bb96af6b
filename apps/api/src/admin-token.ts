import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sql } from './store/database.js';
import { createTokenRow, ensureUser } from './store/users.js';

export const ADMIN_EMAIL = 'admin@plat.local';

/**
 * The first start makes an admin token and keeps it (mode 0600) in the data
 * dir, so the operator can read it again; the database holds only its hash.
 * platd prints it only then: later starts name the file, so the token does
 * not end up in every start's log (journald, terminals, CI output).
 */
export async function ensureAdminToken(
  sql: Sql,
  dataDir: string,
): Promise<{ token: string; created: boolean; path: string }> {
  const path = join(dataDir, 'admin-token');
  const admin = await ensureUser(sql, ADMIN_EMAIL, true);
  if (existsSync(path)) return { token: readFileSync(path, 'utf8').trim(), created: false, path };
  const { token } = await createTokenRow(sql, admin.id, { description: 'admin token made at first start' });
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return { token, created: true, path };
}
