import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PlatError } from '@plat/core';
import { type Credentials, credentialsPath, mergeCredentials, readStoredCredentials } from './credentials-file.js';

export { type Credentials, credentialsPath } from './credentials-file.js';

/** PLAT_API_URL and PLAT_TOKEN override what `plat login` stored. */
export function loadCredentials(env: NodeJS.ProcessEnv = process.env): Partial<Credentials> {
  const saved = readStoredCredentials(env);
  if (!saved) throw new PlatError('invalid_params', `${credentialsPath(env)} is not valid JSON: run plat login again`);
  return mergeCredentials(env, saved);
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
