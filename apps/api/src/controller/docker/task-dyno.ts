import { LABELS } from '@plat/core';

/**
 * A container's dyno name: its `plat.dyno` label, or for a Swarm task (whose
 * labels cannot hold templates) its process and task slot, from the name
 * Swarm gives the task: `<service>.<slot>.<task id>`.
 */
export function dynoOf(labels: Record<string, string>): string {
  const own = labels[LABELS.dyno];
  if (own) return own;
  const process = labels[LABELS.process];
  const slot = /\.(\d+)\.[a-z0-9]+$/.exec(labels['com.docker.swarm.task.name'] ?? '')?.[1];
  return process && slot ? `${process}.${slot}` : '';
}
