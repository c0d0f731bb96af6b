import { describe, expect, it } from 'vitest';
import { parseSessionRequest } from './git-sessions.js';

const KEY = '0b3c1b8e-5f7e-4c59-9d5e-0a4f1e0c2b11';

describe('parseSessionRequest', () => {
  it('reads the key, service and app a forced command sends', () => {
    expect(parseSessionRequest(JSON.stringify({ key: KEY, service: 'git-receive-pack', app: 'hello' }))).toEqual({
      key: KEY,
      service: 'git-receive-pack',
      app: 'hello',
    });
  });

  it('refuses anything else before the database is asked', () => {
    const refusals: [string, RegExp][] = [
      ['not json', /Malformed/],
      ['null', /Unknown SSH key/],
      [JSON.stringify({ key: "x' or 1=1", service: 'git-receive-pack', app: 'hello' }), /Unknown SSH key/],
      [JSON.stringify({ key: KEY, service: 'git-upload-archive', app: 'hello' }), /Unsupported git service/],
      [JSON.stringify({ key: KEY, service: 'git-receive-pack', app: '../etc' }), /No such app repository/],
      [JSON.stringify({ key: KEY, service: 'git-receive-pack' }), /No such app repository/],
    ];
    for (const [line, reason] of refusals) expect(() => parseSessionRequest(line), line).toThrow(reason);
  });
});
