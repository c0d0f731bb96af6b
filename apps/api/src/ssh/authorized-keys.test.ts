import { describe, expect, it } from 'vitest';
import { authorizedKeyLine, linesFor, renderAuthorizedKeys } from './authorized-keys.js';

const COMMAND = ['/usr/bin/node', '/opt/plat/ssh-shell.js', '/var/lib/plat/ssh/git/platd.sock'];
const KEY = {
  id: '0b3c1b8e-5f7e-4c59-9d5e-0a4f1e0c2b11',
  type: 'ssh-ed25519',
  body: 'AAAAC3NzaC1lZDI1NTE5AAAAILoFdRLNzMRgVBLwTsEZTbW8zqtfMcq/jXFJTvw8KGrf',
  fingerprint: 'SHA256:D9eYlFEcn1dsmGx9N527sdg4N8DHc8MfNJY9j/Ph65c',
};

describe('authorized keys', () => {
  it('gives every key a restricted line whose forced command names the key', () => {
    expect(authorizedKeyLine(KEY, COMMAND)).toBe(
      `restrict,command="${COMMAND.join(' ')} ${KEY.id}" ssh-ed25519 ${KEY.body}`,
    );
  });

  it('refuses to write a command a shell could misread, or a key that is not one', () => {
    expect(() => authorizedKeyLine(KEY, ['/opt/my plat/node'])).toThrow(/plain characters/);
    expect(() => authorizedKeyLine(KEY, ['/opt/"x"/node'])).toThrow(/plain characters/);
    expect(() => authorizedKeyLine({ ...KEY, id: 'x; id' }, COMMAND)).toThrow(/key id/);
    expect(() => authorizedKeyLine({ ...KEY, body: 'AAAA\nssh-rsa AAAA' }, COMMAND)).toThrow(/not a stored key/);
  });

  it('lets the keys command print only the line of the offered fingerprint', () => {
    const other = { ...KEY, id: '1b3c1b8e-5f7e-4c59-9d5e-0a4f1e0c2b11', fingerprint: 'SHA256:other' };
    const file = renderAuthorizedKeys([other, KEY], COMMAND);
    expect(renderAuthorizedKeys([KEY, other], COMMAND)).toBe(file);
    expect(linesFor(file, KEY.fingerprint)).toBe(`${authorizedKeyLine(KEY, COMMAND)}\n`);
    expect(linesFor(file, 'SHA256:unknown')).toBe('');
    expect(linesFor(file, '__proto__')).toBe('');
    expect(linesFor('not json', KEY.fingerprint)).toBe('');
    expect(linesFor(JSON.stringify({ [KEY.fingerprint]: 'ssh-ed25519 AAAA' }), KEY.fingerprint)).toBe('');
  });
});
