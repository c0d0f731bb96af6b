import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { checkSchedule, nextRun } from '@plat/addon-scheduler';
import { AppParamsSchema, JobCreateSchema, JobParamsSchema, JobSchema, PlatError } from '@plat/core';
import type { Platform } from '../../platform.js';
import { audit } from '../../services/audit.js';
import { checkJobInterval, checkJobQuota, withinQuota } from '../../services/quotas.js';
import { countCommandJobs } from '../../store/quotas.js';
import { attachmentTaken } from '../../store/addons.js';
import type { AppRow } from '../../store/apps.js';
import { deleteJob, insertJob, listCommandJobs, type JobRow } from '../../store/scheduler-jobs.js';
import { errors } from '../error-responses.js';

const present = (job: JobRow) => ({
  id: job.id,
  schedule: job.schedule,
  command: job.command,
  next_run_at: job.next_run_at.toISOString(),
  last_run_at: job.last_run_at?.toISOString() ?? null,
  last_exit_code: job.last_exit_code,
  running: job.running,
});

export const schedulerRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  const { sql } = platform;
  const withScheduler = async (row: AppRow) => {
    if (!(await attachmentTaken(sql, row.id, 'SCHEDULER'))) {
      const create = `plat addons:create scheduler -a ${row.name}`;
      throw new PlatError('invalid_params', `${row.name} has no scheduler: ${create}`);
    }
    return row;
  };

  app.get(
    '/v1/apps/:app/scheduler/jobs',
    {
      schema: {
        tags: ['scheduler'],
        summary: "The app's scheduled jobs",
        params: AppParamsSchema,
        response: { 200: Type.Array(JobSchema), ...errors(403, 404, 422) },
      },
    },
    async (request) => {
      const row = await withScheduler(request.appRow);
      return (await listCommandJobs(sql, row.id)).map(present);
    },
  );

  app.post(
    '/v1/apps/:app/scheduler/jobs',
    {
      schema: {
        tags: ['scheduler'],
        summary: 'Run a command in a one-off dyno on a cron schedule',
        params: AppParamsSchema,
        body: JobCreateSchema,
        response: { 201: JobSchema, ...errors(403, 404, 422) },
      },
    },
    async (request, reply) => {
      const row = await withScheduler(request.appRow);
      const { command } = request.body;
      const schedule = checkSchedule(request.body.schedule);
      checkJobInterval(schedule, platform.settings.schedulerMinIntervalSeconds);
      const job = await withinQuota(`jobs:${row.id}`, async () => {
        checkJobQuota(await countCommandJobs(sql, row.id), platform.settings.maxSchedulerJobs);
        return insertJob(sql, { appId: row.id, schedule, command, nextRunAt: nextRun(schedule, new Date()) });
      });
      await audit(platform, row, request.user!, 'scheduler.add', { schedule, command });
      return reply.code(201).send(present(job));
    },
  );

  app.delete(
    '/v1/apps/:app/scheduler/jobs/:job',
    {
      schema: {
        tags: ['scheduler'],
        summary: 'Remove a scheduled job',
        params: JobParamsSchema,
        response: { 204: Type.Null(), ...errors(403, 404) },
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      const { job } = request.params;
      if (!(await deleteJob(sql, row.id, job))) {
        throw new PlatError('not_found', `Couldn't find job ${job} on ${row.name}.`);
      }
      await audit(platform, row, request.user!, 'scheduler.remove', { job });
      return reply.code(204).send(null);
    },
  );
};
