import { describe, expect, it } from 'vitest';
import { drainLines, findDrain } from './manage.js';

const drains = [
  { id: 'a1', url: 'syslog+tls://logs.example.com:6514', token: 'd.1', created_at: '', last_error: null },
  { id: 'b2', url: 'https://logs.example.com/', token: 'd.2', created_at: '', last_error: 'connect ECONNREFUSED' },
];

describe('drains commands', () => {
  it('find a drain by its URL as typed, its token or its id', () => {
    expect(findDrain(drains, 'syslog+tls://logs.example.com:6514')?.id).toBe('a1');
    expect(findDrain(drains, 'https://logs.example.com')?.id).toBe('b2');
    expect(findDrain(drains, 'd.2')?.id).toBe('b2');
    expect(findDrain(drains, 'a1')?.id).toBe('a1');
    expect(findDrain(drains, 'syslog://elsewhere:514')).toBeUndefined();
  });

  it("list drains as Heroku does, with a failing one's reason", () => {
    expect(drainLines('shop', drains)).toEqual([
      '=== Drains',
      'syslog+tls://logs.example.com:6514 (d.1)',
      'https://logs.example.com/ (d.2)',
      '  failing: connect ECONNREFUSED (retrying)',
    ]);
    expect(drainLines('shop', [])).toEqual(['shop has no drains.']);
  });
});
