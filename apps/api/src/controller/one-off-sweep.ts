/** A one-off container as the sweep sees it. */
export interface ObservedOneOff {
  id: string;
  app: string;
  dyno: string;
  running: boolean;
  createdAt: Date;
  /** Started by this platd process, which removes it when it ends. */
  tracked: boolean;
}

/**
 * One-off containers nobody will remove: those a platd that exited (or
 * crashed) was running. Finished ones go at once; running ones (a detached
 * run whose platd restarted) once they outlive PLAT_MAX_RUN_SECONDS.
 */
export function planOneOffSweep(
  observed: ObservedOneOff[],
  now: Date,
  maxRunMs: number,
): { remove: ObservedOneOff; expired: boolean }[] {
  return observed
    .filter((oneOff) => !oneOff.tracked)
    .filter((oneOff) => !oneOff.running || now.getTime() - oneOff.createdAt.getTime() >= maxRunMs)
    .map((oneOff) => ({ remove: oneOff, expired: oneOff.running }));
}
