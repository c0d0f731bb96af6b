import type { AppRow, FormationRow } from '../../store/apps.js';
import { formation } from '../../store/apps.js';
import type { Sql } from '../../store/database.js';
import { clearSleeping, sleepingSince } from '../../store/eco-sleep.js';
import { currentRelease, type ReleaseRow } from '../../store/releases.js';
import { webAsleep } from '../eco-sleep-plan.js';

/** What the swarm converge of an app reads from the state store. */
export interface SwarmConvergeInput {
  /** The release to run (a rollout's target, else the current one); none before the app has an image. */
  release: (ReleaseRow & { image: string }) | undefined;
  formation: FormationRow[];
  asleep: boolean;
}

/** The app's release, formation and sleep, read as the docker runtime's converge reads them. */
export async function swarmInput(sql: Sql, app: AppRow, target?: ReleaseRow): Promise<SwarmConvergeInput> {
  const rows = await formation(sql, app.id);
  const since = await sleepingSince(sql, app.id);
  const asleep = webAsleep(rows, since);
  // A mark from before a resize or a scale to 0: the app is awake now.
  if (since && !asleep) await clearSleeping(sql, app.id);
  const release = target?.image ? target : await currentRelease(sql, app.id);
  return {
    release: release?.image ? { ...release, image: release.image } : undefined,
    formation: rows,
    asleep,
  };
}
