import { mergeCredentials, readStoredCredentials } from './credentials-file.js';

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text;
}

/**
 * git's credential helper protocol: for `get`, answer with the Plat token
 * when git asks for the host of the API the user logged in to. Node's
 * modules only (see credentials-file.ts).
 */
export async function credentialHelper(operation: string): Promise<number> {
  const input = await readStdin();
  if (operation !== 'get') return 0;
  const fields = Object.fromEntries(
    input
      .split('\n')
      .filter(Boolean)
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const saved = readStoredCredentials(process.env);
  // Not JSON: git asks the user instead, and plat itself says to log in again.
  if (!saved) return 0;
  const { apiUrl, token } = mergeCredentials(process.env, saved);
  if (!apiUrl || !token) return 0;
  const api = new URL(apiUrl);
  if (fields.protocol !== api.protocol.replace(':', '') || fields.host !== api.host) return 0;
  process.stdout.write(`username=plat\npassword=${token}\n`);
  return 0;
}
