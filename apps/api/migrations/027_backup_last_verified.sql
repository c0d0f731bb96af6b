-- When a backup last passed its restore check. Pruning keeps the newest backup that ever
-- passed by this, not by verification_state: a re-check in progress ('pending') or one that
-- failed for a passing reason must not let the last good backup be pruned.
alter table pg_backups add column last_verified_at timestamptz;
update pg_backups set last_verified_at = coalesce((verification->>'checked_at')::timestamptz, created_at)
  where verification_state = 'verified';
