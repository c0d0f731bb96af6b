import { loadCredentials } from './credentials.js';

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text;
}

/**
 * git's credential helper protocol: for `get`, answer with the Plat token
 * when git asks for the host of the API the user logged in to.
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
  const { apiUrl, token } = loadCredentials();
  if (!apiUrl || !token) return 0;
  const api = new URL(apiUrl);
  if (fields.protocol !== api.protocol.replace(':', '') || fields.host !== api.host) return 0;
  process.stdout.write(`username=plat\npassword=${token}\n`);
  return 0;
}
