-- Log lines are stored in chunks, one row per app per flush: a busy router
-- writes thousands of lines a second, and a row (and index entry) per line
-- cost platd more CPU than nginx spent routing the requests.
create table log_chunks (
  id bigserial primary key,
  app_id uuid not null references apps(id) on delete cascade,
  line_count integer not null check (line_count > 0),
  -- When the chunk's newest dyno (source app) line was written; resumes following dynos.
  app_last_at timestamptz,
  -- JSON array of [at in ms, source, dyno, line], oldest first.
  lines text not null
);
create index log_chunks_app on log_chunks (app_id, id desc);

insert into log_chunks (app_id, line_count, app_last_at, lines)
  select app_id, count(*), max(at) filter (where source = 'app'),
    json_agg(json_build_array(round(extract(epoch from at) * 1000), source, dyno, line) order by id)::text
  from log_lines group by app_id;

drop table log_lines;
