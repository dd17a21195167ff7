-- Accounts, refresh-token families and one-time tokens of the auth service.
create table users (
  id uuid primary key,
  email text not null,
  username text not null,
  password_hash text not null,
  country text,
  email_verified_at timestamptz,
  password_changed_at timestamptz,
  created_at timestamptz not null default now()
);
-- Uniqueness is case-insensitive; the username keeps the case the user chose.
create unique index users_email_key on users (lower(email));
create unique index users_username_key on users (lower(username));

-- A family is one sign-in: every rotation of its refresh token stays in it, so
-- presenting an already-rotated token can revoke the whole chain.
create table refresh_families (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  revoked_reason text
);
create index refresh_families_user on refresh_families (user_id) where revoked_at is null;

create table refresh_tokens (
  id uuid primary key,
  family_id uuid not null references refresh_families (id) on delete cascade,
  token_hash bytea not null unique,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz
);
create index refresh_tokens_family on refresh_tokens (family_id);

-- Email-verification and password-reset tokens; only their SHA-256 is stored.
create table one_time_tokens (
  token_hash bytea primary key,
  user_id uuid not null references users (id) on delete cascade,
  purpose text not null check (purpose in ('verify_email', 'reset_password')),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz
);
create index one_time_tokens_user on one_time_tokens (user_id, purpose) where used_at is null;
