import type { TaskRecord } from './services.js';

/**
 * Swarm restarts a crashed task itself (a new task in the same slot), on any
 * node; platd learns of it from the task list, which the manager holds for
 * every node. A task ended on its own (`failed`, or `complete` after exit 0:
 * a dyno's process must not end) is a crash; one Swarm stopped (`shutdown`,
 * a rollout or a scale) or could not place (`rejected`) is not.
 */
export function endedOnItsOwn(task: TaskRecord): boolean {
  return task.state === 'failed' || task.state === 'complete';
}

/**
 * The crashes not reported yet, per app. An app's first listing only notes
 * what ended before (a platd start must not report old crashes again);
 * forgotten ids are the ones gone from Swarm's task history, so the memory
 * is bounded by that history.
 */
export class TaskCrashes {
  readonly #seen = new Map<string, Set<string>>();

  /** The crashed tasks of `appId` in `tasks` (the app's whole list) not reported before, oldest first. */
  newCrashes(appId: string, tasks: TaskRecord[]): TaskRecord[] {
    const ended = tasks.filter(endedOnItsOwn);
    const seen = this.#seen.get(appId);
    this.#seen.set(appId, new Set(ended.map((task) => task.id)));
    if (!seen) return [];
    return ended.filter((task) => !seen.has(task.id)).sort((a, b) => a.since.localeCompare(b.since));
  }

  /** Forgets an app (destroyed, renamed). */
  forget(appId: string): void {
    this.#seen.delete(appId);
  }
}
