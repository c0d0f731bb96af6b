import { describe, expect, it } from 'vitest';
import { PlatError } from './errors.js';
import { parseProcfile } from './procfile.js';

describe('parseProcfile', () => {
  it('reads process types, skipping blanks and comments', () => {
    const text =
      '# processes\nweb: gunicorn app:app --bind 0.0.0.0:$PORT\n\n' +
      'worker:  rq worker \r\nrelease: python manage.py migrate\n';
    expect(parseProcfile(text)).toEqual({
      web: 'gunicorn app:app --bind 0.0.0.0:$PORT',
      worker: 'rq worker',
      release: 'python manage.py migrate',
    });
  });

  it('keeps colons inside the command', () => {
    expect(parseProcfile('web: gunicorn app:create_app()')).toEqual({ web: 'gunicorn app:create_app()' });
  });

  it.each([
    ['web gunicorn', 'Procfile line 1: expected "type: command"'],
    ['web: ok\nbad type: x', 'Procfile line 2: invalid process type "bad type"'],
    ['\n\nweb:', 'Procfile line 3: process type "web" has no command'],
    ['web: a\nweb: b', 'Procfile line 2: process type "web" is defined twice'],
  ])('rejects %j with its line number', (text, message) => {
    expect(() => parseProcfile(text)).toThrow(message);
    try {
      parseProcfile(text);
    } catch (error) {
      expect(error).toBeInstanceOf(PlatError);
      expect((error as PlatError).id).toBe('invalid_params');
    }
  });
});
