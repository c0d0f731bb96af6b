import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where `plat login` keeps the API URL and token, and reading it. Node's
 * modules only: plat's git credential helper (remotes set while PLAT_TOKEN
 * was set) imports this, and git starts it twice per push.
 */
export interface Credentials {
  apiUrl: string;
  token: string;
}

export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'plat', 'credentials.json');
}

/** The stored credentials; `undefined` when the file is not JSON (the caller says what to do). */
export function readStoredCredentials(env: NodeJS.ProcessEnv): Partial<Credentials> | undefined {
  const path = credentialsPath(env);
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Partial<Credentials>;
  } catch {
    return undefined;
  }
}

/** PLAT_API_URL and PLAT_TOKEN override what `plat login` stored. */
export function mergeCredentials(env: NodeJS.ProcessEnv, saved: Partial<Credentials>): Partial<Credentials> {
  const apiUrl = env.PLAT_API_URL || saved.apiUrl;
  const token = env.PLAT_TOKEN || saved.token;
  return { ...(apiUrl ? { apiUrl } : {}), ...(token ? { token } : {}) };
}
