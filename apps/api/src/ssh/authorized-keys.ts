/**
 * What sshd learns about keys, as pure data: platd writes one JSON file
 * mapping each key's fingerprint to its authorized_keys line, and sshd's
 * AuthorizedKeysCommand (keys-command.ts) prints the line for the key a
 * client offers. Every line is `restrict` (no pty, no forwarding, no agent,
 * no ~/.ssh/rc) with a forced command: the only thing a key can do is ask
 * platd for a git session, as the key it is.
 */

export interface AuthorizedKey {
  id: string;
  type: string;
  body: string;
  fingerprint: string;
}

/** Paths are written into a command sshd runs through the git user's shell: only plain path characters. */
const PLAIN_WORD = /^[A-Za-z0-9_./:+-]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const KEY_TYPE = /^[a-z0-9@.-]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The forced command's words before the key id: node, the git shell script, platd's socket. */
export function checkCommandWords(words: string[]): void {
  const odd = words.find((word) => !PLAIN_WORD.test(word));
  if (odd !== undefined)
    throw new Error(
      `git over SSH needs paths of plain characters (letters, digits, . _ / + - :), not ${JSON.stringify(odd)}`,
    );
}

export function authorizedKeyLine(key: AuthorizedKey, command: string[]): string {
  checkCommandWords(command);
  if (!UUID.test(key.id)) throw new Error(`not a key id: ${key.id}`);
  if (!KEY_TYPE.test(key.type) || !BASE64.test(key.body)) throw new Error(`not a stored key: ${key.fingerprint}`);
  return `restrict,command="${[...command, key.id].join(' ')}" ${key.type} ${key.body}`;
}

/** The file's content: fingerprint → line, in a stable order so an unchanged set writes the same bytes. */
export function renderAuthorizedKeys(keys: AuthorizedKey[], command: string[]): string {
  const sorted = [...keys].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0));
  const lines = sorted.map((key) => [key.fingerprint, authorizedKeyLine(key, command)]);
  return `${JSON.stringify(Object.fromEntries(lines))}\n`;
}

/** What the keys command prints for a fingerprint: the line, when it is one platd wrote; else nothing. */
export function linesFor(fileText: string, fingerprint: string): string {
  let map: unknown;
  try {
    map = JSON.parse(fileText);
  } catch {
    return '';
  }
  if (typeof map !== 'object' || map === null || !Object.hasOwn(map, fingerprint)) return '';
  const line = (map as Record<string, unknown>)[fingerprint];
  return typeof line === 'string' && line.startsWith('restrict,command="') && !line.includes('\n') ? `${line}\n` : '';
}
