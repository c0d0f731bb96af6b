import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { PlatError } from '@plat/core';

export interface Credentials {
  apiUrl: string;
  token: string;
}

export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'plat', 'credentials.json');
}

function stored(env: NodeJS.ProcessEnv): Partial<Credentials> {
  const path = credentialsPath(env);
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Partial<Credentials>;
  } catch {
    throw new PlatError('invalid_params', `${path} is not valid JSON: run plat login again`);
  }
}

/** PLAT_API_URL and PLAT_TOKEN override what `plat login` stored. */
export function loadCredentials(env: NodeJS.ProcessEnv = process.env): Partial<Credentials> {
  const saved = stored(env);
  const apiUrl = env.PLAT_API_URL || saved.apiUrl;
  const token = env.PLAT_TOKEN || saved.token;
  return { ...(apiUrl ? { apiUrl } : {}), ...(token ? { token } : {}) };
}

export function requireCredentials(env: NodeJS.ProcessEnv = process.env): Credentials {
  const { apiUrl, token } = loadCredentials(env);
  if (!apiUrl || !token)
    throw new PlatError('unauthorized', 'Not logged in. Run plat login first (or set PLAT_API_URL and PLAT_TOKEN).');
  return { apiUrl, token };
}

export function saveCredentials(credentials: Credentials, env: NodeJS.ProcessEnv = process.env): string {
  const path = credentialsPath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

export function removeCredentials(env: NodeJS.ProcessEnv = process.env): void {
  rmSync(credentialsPath(env), { force: true });
}
