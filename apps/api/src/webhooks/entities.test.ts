import { describe, expect, it } from 'vitest';
import { parseIncludes, parseLevel, resourceOf } from './entities.js';

describe('parseIncludes', () => {
  it("takes the CLI's comma list or the API's array, each once, in a fixed order", () => {
    expect(parseIncludes('dyno, api:release,api:build,,api:release')).toEqual(['api:release', 'api:build', 'dyno']);
    expect(parseIncludes(['alert', 'api:addon', 'api:formation'])).toEqual(['api:addon', 'api:formation', 'alert']);
  });

  it('refuses unknown event types, naming them and the known ones', () => {
    expect(() => parseIncludes('api:release,api:dyno,api:app')).toThrow(
      'Unknown event types "api:dyno", "api:app": use api:release, api:build, api:addon, api:formation, dyno, alert.',
    );
    expect(() => parseIncludes(' , ')).toThrow('Name at least one event type');
    expect(() => parseIncludes([])).toThrow(expect.objectContaining({ id: 'invalid_params' }));
  });
});

describe('parseLevel', () => {
  it('defaults to sync (retried) and knows notify', () => {
    expect(parseLevel(undefined)).toBe('sync');
    expect(parseLevel('notify')).toBe('notify');
    expect(() => parseLevel('async')).toThrow('Unknown level "async"');
  });
});

describe('resourceOf', () => {
  it("is Heroku's resource name", () => {
    expect(resourceOf('api:release')).toBe('release');
    expect(resourceOf('dyno')).toBe('dyno');
    expect(resourceOf('alert')).toBe('alert');
  });
});
