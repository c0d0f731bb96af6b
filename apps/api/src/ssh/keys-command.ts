/**
 * sshd's AuthorizedKeysCommand, run as an account with no other role:
 * `node keys-command.js <keys file> <fingerprint>` prints the authorized_keys
 * line platd wrote for that key, or nothing. It reads one file and asks
 * nothing of platd or its database, so a client that is not signed in yet
 * cannot make platd do any work.
 */
import { readFileSync } from 'node:fs';
import { linesFor } from './authorized-keys.js';

const [file = '', fingerprint = ''] = process.argv.slice(2);
let text: string;
try {
  text = readFileSync(file, 'utf8');
} catch (error) {
  process.stderr.write(`plat keys command: ${(error as Error).message}\n`);
  process.exit(1);
}
process.stdout.write(linesFor(text, fingerprint));
