import { describe, expect, it } from 'vitest';
import { planOneOffSweep, type ObservedOneOff } from './one-off-sweep.js';

const now = new Date('2026-11-28T12:00:00Z');
const oneOff = (id: string, fields: Partial<ObservedOneOff>): ObservedOneOff => ({
  id,
  app: 'shop',
  dyno: `run.${id}`,
  running: true,
  createdAt: new Date(now.getTime() - 1000),
  tracked: false,
  ...fields,
});

describe('planOneOffSweep', () => {
  it('removes what no platd is watching: finished at once, running once past the lifetime', () => {
    const plan = planOneOffSweep(
      [
        oneOff('1', { tracked: true, createdAt: new Date(0) }),
        oneOff('2', { running: false }),
        oneOff('3', {}),
        oneOff('4', { createdAt: new Date(now.getTime() - 60_000) }),
      ],
      now,
      60_000,
    );
    expect(plan.map((step) => [step.remove.id, step.expired])).toEqual([
      ['2', false],
      ['4', true],
    ]);
  });
});
