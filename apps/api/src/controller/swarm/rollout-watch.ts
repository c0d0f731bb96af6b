/**
 * Reading a Swarm rollout as it goes, as pure functions over what the
 * manager reports: which tasks serve (so the router lists them), and whether
 * a service's update is under way, done, or failed (rolled back by Swarm, or
 * new tasks that never turn healthy).
 */
import type { ObservedDyno } from '../reconcile.js';
import type { TaskRecord, UpdateStatus } from './services.js';

/** A service this converge sent a new spec to, and when. */
export interface AwaitedService {
  name: string;
  created: boolean;
  replicas: number;
  sentAt: number;
}

export type Verdict = { state: 'pending' } | { state: 'done' } | { state: 'failed'; message: string };

/** Swarm starts an update within this long of the spec; a service with none since is a scale only. */
export const UPDATE_START_MS = 3000;

/** Task failures of a new service's release that mean it will not come up (Swarm would retry forever). */
export const FAILED_STARTS = 3;

/** Web tasks Swarm runs and wants running, health check passed, with a published port: what the router lists. */
export function runningWebTasks(tasks: TaskRecord[]): ObservedDyno[] {
  return tasks
    .filter((task) => task.process === 'web' && task.desiredState === 'running' && task.state === 'running')
    .filter((task) => task.ports.length > 0)
    .map(taskDyno)
    .sort((a, b) => a.dyno.localeCompare(b.dyno) || (a.port ?? 0) - (b.port ?? 0));
}

export interface VerdictInput {
  service: AwaitedService;
  update: UpdateStatus;
  tasks: TaskRecord[];
  releaseId: string;
  now: number;
}

export function rolloutVerdict(input: VerdictInput): Verdict {
  const { service, update } = input;
  const mine = input.tasks.filter((task) => task.service === service.name);
  if (!service.created) {
    const started = update.startedAt ? Date.parse(update.startedAt) : Number.NaN;
    // Clocks: the manager's and platd's are one machine's here; a second of slack for others.
    const fresh = started >= service.sentAt - 1000;
    if (fresh) {
      if (update.state === 'updating' || update.state === 'rollback_started') return { state: 'pending' };
      if (['rollback_completed', 'rollback_paused', 'paused'].includes(update.state))
        return { state: 'failed', message: failureMessage(service.name, mine, input.releaseId, update.message) };
    } else if (input.now - service.sentAt < UPDATE_START_MS) {
      return { state: 'pending' };
    }
  }
  const running = mine.filter((task) => task.desiredState === 'running' && task.state === 'running');
  const current = running.filter((task) => task.releaseId === input.releaseId);
  const wanted = mine.filter((task) => task.desiredState === 'running');
  if (current.length === service.replicas && wanted.length === service.replicas) return { state: 'done' };
  if (service.created) {
    const failures = mine.filter((task) => ['failed', 'rejected'].includes(task.state));
    if (failures.length >= FAILED_STARTS)
      return { state: 'failed', message: failureMessage(service.name, mine, input.releaseId, '') };
  }
  return { state: 'pending' };
}

/** Heroku's words for a boot that failed, with what Swarm said of the last failed task. */
function failureMessage(name: string, tasks: TaskRecord[], releaseId: string, swarmMessage: string): string {
  const failed = tasks
    .filter((task) => task.releaseId === releaseId && ['failed', 'rejected', 'shutdown'].includes(task.state))
    .sort((a, b) => b.since.localeCompare(a.since))[0];
  const what = failed
    ? `${failed.dyno} ${failed.exitCode !== null ? `exited with code ${failed.exitCode}` : failed.state}` +
      (failed.error ? `: ${failed.error}` : '')
    : `the new tasks of ${name} did not turn healthy`;
  const rolled = swarmMessage ? `; Swarm rolled the update back (${swarmMessage})` : '';
  return `H10: ${what}${rolled}`;
}

/**
 * Each slot's dyno: the newest task Swarm wants running (a rolled-back
 * update leaves newer failed tasks in the slot), else its newest task, shown
 * as crashed; slots Swarm wants nothing of (scaled away) are left out.
 */
export function latestPerSlot(tasks: TaskRecord[]): ObservedDyno[] {
  const bySlot = new Map<string, TaskRecord[]>();
  for (const task of tasks) {
    const key = `${task.service}/${task.slot}`;
    bySlot.set(key, [...(bySlot.get(key) ?? []), task]);
  }
  const chosen: TaskRecord[] = [];
  for (const slot of bySlot.values()) {
    const newest = (list: TaskRecord[]) => [...list].sort((a, b) => b.since.localeCompare(a.since))[0];
    const wanted = newest(slot.filter((task) => task.desiredState === 'running'));
    const last = newest(slot)!;
    if (wanted) chosen.push(wanted);
    else if (last.state === 'running') chosen.push(last);
  }
  return chosen.map(taskDyno).sort((a, b) => a.process.localeCompare(b.process) || a.dyno.localeCompare(b.dyno));
}

export function taskDyno(task: TaskRecord): ObservedDyno {
  const running = task.desiredState === 'running' && task.state === 'running';
  return {
    id: task.containerId || task.id,
    key: '',
    containerName: `${task.service}.${task.slot}`,
    app: task.app,
    dyno: task.dyno,
    process: task.process,
    releaseId: task.releaseId,
    running,
    ...(running && task.ports[0] ? { port: task.ports[0] } : {}),
    version: task.version,
    command: '',
    createdAt: new Date(task.since),
    ...(task.exitCode !== null && !running ? { exitCode: task.exitCode } : {}),
    node: task.hostname,
    // The node's address reaches a task on this node too (the host's own address); loopback needs no name.
    ...(task.nodeAddr && task.nodeAddr !== '127.0.0.1' ? { address: task.nodeAddr } : {}),
    state: task.state,
  };
}
