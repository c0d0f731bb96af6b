import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { emit } from '../../output.js';
import { ago, table } from '../../present.js';

interface Job {
  id: string;
  schedule: string;
  command: string;
  next_run_at: string;
  last_run_at: string | null;
  last_exit_code: number | null;
  running: boolean;
}

const path = (app: string, rest = '') => `/v1/apps/${encodeURIComponent(app)}/scheduler/jobs${rest}`;

export async function listJobs(options: { app?: string; json?: boolean }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const jobs = await context.client().request<Job[]>('GET', path(name));
  emit(context.output, options.json, jobs, () =>
    jobs.length === 0
      ? [`No jobs. Add one: plat scheduler:add "*/10 * * * *" "python task.py" -a ${name}`]
      : table(
          ['Id', 'Schedule (UTC)', 'Command', 'Next run', 'Last run'],
          jobs.map((j) => [j.id, j.schedule, j.command, ago(j.next_run_at), j.last_run_at ? `${ago(j.last_run_at)} (exit ${j.last_exit_code ?? '?'})` : 'never']),
        ),
  );
}

export async function addJob(schedule: string, command: string, options: { app?: string; json?: boolean }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const job = await context.client().request<Job>('POST', path(name), { schedule, command });
  emit(context.output, options.json, job, () => [`Job ${job.id} added: \`${job.command}\` at ${job.schedule}, next ${job.next_run_at}`]);
}

export async function removeJob(id: string, options: { app?: string }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  await context.client().request('DELETE', path(name, `/${encodeURIComponent(id)}`));
  context.output.out(`Job ${id} removed`);
}
