-- Eco dynos: an app whose web dynos were stopped for want of requests is
-- asleep since then, until a request wakes it. Kept here so a platd restart
-- leaves it asleep; the formation itself is not changed by sleeping.
alter table apps add column sleeping_since timestamptz;
