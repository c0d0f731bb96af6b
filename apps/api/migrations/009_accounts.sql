-- Accounts an admin can switch off, and tokens that stop working by
-- themselves. A disabled user keeps their apps (they keep running); only
-- their tokens stop being accepted, by the API and by git.
alter table users add column disabled_at timestamptz;
alter table tokens add column expires_at timestamptz;
