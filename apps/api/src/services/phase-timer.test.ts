import { describe, expect, it } from 'vitest';
import { describePhases, PhaseTimer } from './phase-timer.js';

describe('PhaseTimer', () => {
  it('times each phase from the previous mark, from when the work began', () => {
    let now = 1_000;
    const timer = new PhaseTimer({ now: () => now, startedAt: 900 });
    now = 1_050;
    timer.mark('receive');
    now = 1_360;
    timer.mark('build');
    now = 1_580;
    timer.mark('start');
    expect(timer.phases()).toEqual({ receive: 0.15, build: 0.31, start: 0.22 });
    expect(timer.phases(['start'])).toEqual({ start: 0.22 });
    expect(timer.elapsed()).toBeCloseTo(0.68);
  });

  it('adds up a phase marked twice', () => {
    let now = 0;
    const timer = new PhaseTimer({ now: () => now });
    now = 100;
    timer.mark('ready');
    now = 150;
    timer.mark('route');
    now = 250;
    timer.mark('ready');
    expect(timer.phases()).toEqual({ ready: 0.2, route: 0.05 });
  });
});

describe('describePhases', () => {
  it("reads as the push's last line, leaving out phases that took no time", () => {
    expect(describePhases(0.917, { build: 0.31, start: 0.22, ready: 0.18, route: 0.05, detect: 0.001 })).toBe(
      'Done in 0.92 s: build 0.31, start 0.22, ready 0.18, route 0.05',
    );
    expect(describePhases(0.2, {})).toBe('Done in 0.20 s');
  });
});
