-- Every backup is proven: what its source held at capture (from the dump's
-- own snapshot) and the result of its restore drill in a scratch container.
-- Redis snapshots share the table (and the app's bN numbering): provider says which.
alter table pg_backups
  add column provider text not null default 'postgres' check (provider in ('postgres', 'redis')),
  -- postgres: {"schema.table": rows}; redis: {"db0": keys, ...}. Null for backups from before this change.
  add column source_counts jsonb,
  add column verification_state text not null default 'pending'
    check (verification_state in ('pending', 'verified', 'failed')),
  -- {checked_at, tables, rows, keys, duration_ms, reason}
  add column verification jsonb;
