-- Scheduler jobs: a command run in a one-off dyno on a cron schedule.
create table scheduler_jobs (
  id uuid primary key default gen_random_uuid(),
  app_id uuid not null references apps(id) on delete cascade,
  schedule text not null,
  command text not null,
  next_run_at timestamptz not null,
  -- Set while a run is going: a job never overlaps itself.
  running boolean not null default false,
  last_run_at timestamptz,
  last_exit_code integer,
  created_at timestamptz not null default now()
);
create index scheduler_jobs_due on scheduler_jobs (next_run_at);
