-- apps:destroy marks the app first, then removes its parts step by step; the
-- row (and so the name) goes last, so a crash mid-way is finished by the next
-- apps:destroy or at platd start, and a reused name inherits nothing.
alter table apps add column destroying boolean not null default false;
