-- Where a deploy's time went, per phase in seconds: a build's receive,
-- archive, detect and build; a release's release phase, start, ready and
-- route. Shown at the end of the push and in the API.
alter table builds add column timings jsonb;
alter table releases add column timings jsonb;
