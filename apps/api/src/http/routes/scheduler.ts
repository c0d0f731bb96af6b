import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { checkSchedule, nextRun } from '@plat/addon-scheduler';
import { PlatError } from '@plat/core';
import { appForUser } from '../../auth/access.js';
import type { Platform } from '../../platform.js';
import { audit } from '../../services/audit.js';
import { checkJobInterval, checkJobQuota, withinQuota } from '../../services/quotas.js';
import { countCommandJobs } from '../../store/quotas.js';
import { attachmentTaken } from '../../store/addons.js';
import type { AppRow } from '../../store/apps.js';
import { deleteJob, insertJob, listCommandJobs, type JobRow } from '../../scheduler/jobs.js';
import { AppParams, errors } from '../schemas.js';

const Job = Type.Object({
  id: Type.String(),
  schedule: Type.String(),
  command: Type.String(),
  next_run_at: Type.String({ format: 'date-time' }),
  last_run_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  last_exit_code: Type.Union([Type.Integer(), Type.Null()]),
  running: Type.Boolean(),
});
const JobCreate = Type.Object(
  { schedule: Type.String({ minLength: 9, maxLength: 100, description: 'cron: "*/10 * * * *" (UTC)' }), command: Type.String({ minLength: 1, maxLength: 10_000 }) },
  { additionalProperties: false },
);

const present = (job: JobRow) => ({
  id: job.id,
  schedule: job.schedule,
  command: job.command,
  next_run_at: job.next_run_at.toISOString(),
  last_run_at: job.last_run_at?.toISOString() ?? null,
  last_exit_code: job.last_exit_code,
  running: job.running,
});

export const schedulerRoutes: FastifyPluginAsync<{ platform: Platform }> = async (app, { platform }) => {
  const { sql } = platform;
  const withScheduler = async (row: AppRow) => {
    if (!(await attachmentTaken(sql, row.id, 'SCHEDULER'))) {
      throw new PlatError('invalid_params', `${row.name} has no scheduler: plat addons:create scheduler -a ${row.name}`);
    }
    return row;
  };

  app.get(
    '/v1/apps/:app/scheduler/jobs',
    { schema: { tags: ['scheduler'], summary: "The app's scheduled jobs", params: AppParams, response: { 200: Type.Array(Job), ...errors(403, 404, 422) } } },
    async (request) => {
      const row = await withScheduler(await appForUser(sql, request.user!, (request.params as Static<typeof AppParams>).app));
      return (await listCommandJobs(sql, row.id)).map(present);
    },
  );

  app.post(
    '/v1/apps/:app/scheduler/jobs',
    { schema: { tags: ['scheduler'], summary: 'Run a command in a one-off dyno on a cron schedule', params: AppParams, body: JobCreate, response: { 201: Job, ...errors(403, 404, 422) } } },
    async (request, reply) => {
      const row = await withScheduler(await appForUser(sql, request.user!, (request.params as Static<typeof AppParams>).app));
      const body = request.body as Static<typeof JobCreate>;
      const schedule = checkSchedule(body.schedule);
      checkJobInterval(schedule, platform.settings.schedulerMinIntervalSeconds);
      const job = await withinQuota(`jobs:${row.id}`, async () => {
        checkJobQuota(await countCommandJobs(sql, row.id), platform.settings.maxSchedulerJobs);
        return insertJob(sql, { appId: row.id, schedule, command: body.command, nextRunAt: nextRun(schedule, new Date()) });
      });
      await audit(platform, row, request.user!, 'scheduler.add', { schedule, command: body.command });
      return reply.code(201).send(present(job));
    },
  );

  app.delete(
    '/v1/apps/:app/scheduler/jobs/:job',
    {
      schema: {
        tags: ['scheduler'],
        summary: 'Remove a scheduled job',
        params: Type.Object({ app: Type.String({ maxLength: 100 }), job: Type.String({ maxLength: 64 }) }),
        response: { 204: Type.Null(), ...errors(403, 404) },
      },
    },
    async (request, reply) => {
      const { app: name, job } = request.params as { app: string; job: string };
      const row = await appForUser(sql, request.user!, name);
      if (!(await deleteJob(sql, row.id, job))) throw new PlatError('not_found', `Couldn't find job ${job} on ${row.name}.`);
      await audit(platform, row, request.user!, 'scheduler.remove', { job });
      return reply.code(204).send();
    },
  );
};
