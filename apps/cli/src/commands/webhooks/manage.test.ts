import { describe, expect, it } from 'vitest';
import { attemptCodes, includeList } from './manage.js';

describe('webhooks commands', () => {
  it('read --include as a comma (or space) separated list', () => {
    expect(includeList('api:release,api:build, dyno')).toEqual(['api:release', 'api:build', 'dyno']);
    expect(includeList(' alert ')).toEqual(['alert']);
  });

  it("show each attempt's answer, - where there was none", () => {
    const delivery = { codes: [500, null, 200] } as Parameters<typeof attemptCodes>[0];
    expect(attemptCodes(delivery)).toBe('500 - 200');
    expect(attemptCodes({ ...delivery, codes: [] })).toBe('-');
  });
});
