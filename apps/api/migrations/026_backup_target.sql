-- Backups kept off the server (plat backups:target:set): one restic repository per Plat,
-- and per backup whether its dump is on it. The repository password is kept here, as the
-- only copy Plat has (it is shown once to the admin who set the target).
create table backup_target (
  id uuid primary key default gen_random_uuid(),
  url text not null,
  password text not null,
  keep_daily integer not null check (keep_daily between 0 and 3650),
  keep_weekly integer not null check (keep_weekly between 0 and 520),
  keep_monthly integer not null check (keep_monthly between 0 and 1200),
  created_at timestamptz not null default now(),
  check (keep_daily + keep_weekly + keep_monthly > 0)
);
-- One target per Plat.
create unique index backup_target_one on backup_target ((true));

-- null: nothing to upload (no target when it was made); 'expired': the target's retention
-- removed its snapshot. upload_target is the target it went (or goes) to: a new target starts over.
alter table pg_backups
  add column upload_state text check (upload_state in ('pending', 'uploaded', 'failed', 'expired')),
  add column upload_target uuid,
  add column upload_snapshot text,
  add column uploaded_at timestamptz,
  add column upload_reason text,
  add column upload_attempts integer not null default 0,
  add column upload_next_at timestamptz;
create index pg_backups_upload_due on pg_backups (upload_next_at) where upload_state in ('pending', 'failed');
