import { describe, expect, it } from 'vitest';
import { checkAppName } from './app-name.js';

describe('checkAppName', () => {
  it.each(['hello', 'my-app-2', 'ab', 'a'.repeat(30)])('accepts %j', (name) => {
    expect(checkAppName(name)).toBe(name);
  });

  it.each(['Hello', 'a', 'a'.repeat(31), '1app', '-app', 'app;rm -rf /', 'app_1', 'app.x', '', 42, undefined])(
    'rejects %j with invalid_params',
    (name) => {
      expect(() => checkAppName(name)).toThrow(/Invalid app name/);
    },
  );
});
