/**
 * Where a deploy's time goes: each phase's seconds, measured between marks
 * (receive, archive, detect, build, release, start, ready, route), kept with
 * the build and the release and shown at the end of the push.
 */
export type Phases = Record<string, number>;

export class PhaseTimer {
  readonly #now: () => number;
  readonly #started: number;
  #last: number;
  readonly #phases: Phases = {};

  /** `startedAt`: when the work began (ms on `now`'s clock), e.g. when the push reached platd. */
  constructor(options: { now?: () => number; startedAt?: number } = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#started = options.startedAt ?? this.#now();
    this.#last = this.#started;
  }

  /** Ends the phase running since the last mark; a phase marked twice adds up. */
  mark(phase: string): void {
    const now = this.#now();
    this.#phases[phase] = (this.#phases[phase] ?? 0) + (now - this.#last) / 1000;
    this.#last = now;
  }

  /** Phases marked so far, in seconds rounded to the millisecond. */
  phases(names?: readonly string[]): Phases {
    const entries = Object.entries(this.#phases).filter(([name]) => !names || names.includes(name));
    return Object.fromEntries(entries.map(([name, seconds]) => [name, Math.round(seconds * 1000) / 1000]));
  }

  elapsed(): number {
    return (this.#now() - this.#started) / 1000;
  }
}

/** `Done in 0.92 s: build 0.31, start 0.22, ready 0.18, route 0.05` (phases under 5 ms left out). */
export function describePhases(total: number, phases: Phases): string {
  const parts = Object.entries(phases)
    .filter(([, seconds]) => seconds >= 0.005)
    .map(([name, seconds]) => `${name} ${seconds.toFixed(2)}`);
  return `Done in ${total.toFixed(2)} s${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
}
