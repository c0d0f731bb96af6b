import { describe, expect, it } from 'vitest';
import { parseSshCommand } from './ssh-command.js';

const EXAMPLE = 'git push platform main';

describe('parseSshCommand', () => {
  it('accepts git-receive-pack and git-upload-pack of an app repository, ssh:// or scp-style', () => {
    expect(parseSshCommand("git-receive-pack '/hello.git'", EXAMPLE)).toEqual({
      ok: true,
      service: 'git-receive-pack',
      app: 'hello',
    });
    expect(parseSshCommand("git-upload-pack 'my-app.git'", EXAMPLE)).toEqual({
      ok: true,
      service: 'git-upload-pack',
      app: 'my-app',
    });
  });

  it('refuses a shell: no command at all', () => {
    for (const command of [undefined, '', '  ']) {
      const parsed = parseSshCommand(command, EXAMPLE);
      expect(parsed).toEqual({ ok: false, message: expect.stringContaining('no shell') });
    }
  });

  it('refuses every other command, extra words and odd quoting', () => {
    for (const command of [
      'ls',
      'sh -c id',
      "git-receive-pack '/hello.git'; id",
      "git-receive-pack '/hello.git' x",
      'git-receive-pack /hello.git',
      "git-upload-archive '/hello.git'",
      "git receive-pack '/hello.git'",
      "git-receive-pack '/../hello.git'",
      "git-receive-pack '/a/b.git'",
      "git-receive-pack '/hello.git\n'",
      "scp -t '/hello.git'",
    ]) {
      const parsed = parseSshCommand(command, EXAMPLE);
      expect(parsed.ok, command).toBe(false);
    }
  });

  it('refuses names that are not app names', () => {
    expect(parseSshCommand("git-receive-pack '/Hello.git'", EXAMPLE)).toEqual({
      ok: false,
      message: 'No such app repository: Hello.git',
    });
    expect(parseSshCommand("git-receive-pack '/..git'", EXAMPLE).ok).toBe(false);
  });
});
