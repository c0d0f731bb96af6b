-- The 5-minute points are rolled up in SQL from the stored 10 s points, as
-- an upsert on one row per container and bucket: rolling a bucket up again
-- (after a restart, or on the next run) replaces its row instead of adding
-- a second one. Duplicates an earlier roll-up could have left go first.
delete from metric_samples a
  using metric_samples b
  where a.step = 300 and b.step = 300
    and a.app_id = b.app_id and a.kind = b.kind and a.name = b.name and a.at = b.at
    and a.ctid < b.ctid;
create unique index metric_samples_rollup on metric_samples (app_id, kind, name, at) where step = 300;
