import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { emit } from '../../output.js';
import { ago, table } from '../../present.js';

export async function listJobs(options: { app?: string; json?: boolean }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const jobs = await context.client().scheduler.list(name);
  const lastRun = (at: string | null, code: number | null) => (at ? `${ago(at)} (exit ${code ?? '?'})` : 'never');
  emit(context.output, options.json, jobs, () =>
    jobs.length === 0
      ? [`No jobs. Add one: plat scheduler:add "*/10 * * * *" "python task.py" -a ${name}`]
      : table(
          ['Id', 'Schedule (UTC)', 'Command', 'Next run', 'Last run'],
          jobs.map((j) => [j.id, j.schedule, j.command, ago(j.next_run_at), lastRun(j.last_run_at, j.last_exit_code)]),
        ),
  );
}

export async function addJob(
  schedule: string,
  command: string,
  options: { app?: string; json?: boolean },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const job = await context.client().scheduler.add(name, { schedule, command });
  emit(context.output, options.json, job, () => [
    `Job ${job.id} added: \`${job.command}\` at ${job.schedule}, next ${job.next_run_at}`,
  ]);
}

export async function removeJob(id: string, options: { app?: string }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  await context.client().scheduler.remove(name, id);
  context.output.out(`Job ${id} removed`);
}
