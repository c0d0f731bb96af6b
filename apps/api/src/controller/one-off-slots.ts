import { PlatError } from '@plat/core';

/**
 * Concurrent `plat run` one-offs per app, counted in platd (the check and
 * the count change together, so racing requests cannot both slip in).
 */
export class OneOffSlots {
  readonly #inUse = new Map<string, number>();

  /**
   * Takes a slot for the app or throws; call the returned function (once)
   * when the one-off ends. `untracked` counts one-offs still running that an
   * earlier platd started (this process does not hold their slots).
   */
  take(app: { id: string; name: string }, limits: { max: number; untracked?: number }): () => void {
    const { id: appId, name: appName } = app;
    const { max } = limits;
    const used = (this.#inUse.get(appId) ?? 0) + (limits.untracked ?? 0);
    if (used >= max) {
      throw new PlatError(
        'quota_exceeded',
        `${appName} already has ${used} one-off dynos running, the most allowed ` +
          `(PLAT_MAX_ONE_OFFS=${max}): wait for one to finish.`,
      );
    }
    this.#inUse.set(appId, (this.#inUse.get(appId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#inUse.get(appId) ?? 1) - 1;
      if (left > 0) this.#inUse.set(appId, left);
      else this.#inUse.delete(appId);
    };
  }

  inUse(appId: string): number {
    return this.#inUse.get(appId) ?? 0;
  }
}
