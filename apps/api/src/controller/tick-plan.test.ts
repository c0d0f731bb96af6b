import { describe, expect, it } from 'vitest';
import { FULL_PASS_EVERY, fullPassDue } from './tick-plan.js';

describe('the full pass of the periodic converge', () => {
  const apps = Array.from({ length: 300 }, (_, index) => `app-${index}`);

  it('comes once in FULL_PASS_EVERY ticks for every app', () => {
    for (const app of apps) {
      const due = Array.from({ length: FULL_PASS_EVERY * 3 }, (_, tick) => tick).filter((t) => fullPassDue(app, t));
      expect(due, app).toHaveLength(3);
      expect(due[1]! - due[0]!, app).toBe(FULL_PASS_EVERY);
    }
  });

  it('spreads hundreds of apps over the ticks instead of all on one', () => {
    for (let tick = 0; tick < FULL_PASS_EVERY; tick += 1) {
      const count = apps.filter((app) => fullPassDue(app, tick)).length;
      // 30 on average; no tick carries more than twice its share.
      expect(count, `tick ${tick}`).toBeLessThanOrEqual(60);
      expect(count, `tick ${tick}`).toBeGreaterThan(0);
    }
  });
});
