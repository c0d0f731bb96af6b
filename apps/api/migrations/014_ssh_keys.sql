-- Public keys for git over SSH. A key belongs to one user only: its
-- fingerprint (SHA256, as ssh-keygen prints it) is unique, so sshd's lookup
-- names exactly one account. Removing a key takes effect at the next push.
create table ssh_keys (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users(id) on delete cascade,
  -- The key as one authorized_keys entry would name it: type and base64 body.
  type text not null,
  body text not null,
  fingerprint text not null unique,
  comment text not null default '',
  created_at timestamptz not null default now(),
  last_used_at timestamptz
);
create index ssh_keys_user on ssh_keys (user_id);
