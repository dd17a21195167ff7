-- The canonical identity of each account (shared/identity.ts: NFKC, full case
-- fold, marks dropped). Only the app computes it: PostgreSQL's lower() folds
-- differently ('İ'), which let one account be matched under many spellings.
-- Rows created before this migration get their keys from the backfill auth runs
-- at every start, before it serves (identity_keys.ts); new rows are inserted
-- with them. Hence nullable: SQL cannot fill them here.
alter table users add column email_key text, add column username_key text;
create unique index users_email_canonical on users (email_key);
create unique index users_username_canonical on users (username_key);
-- Finds the rows still waiting for the backfill without scanning every account.
create index users_without_keys on users (id) where email_key is null or username_key is null;
-- One rule for sameness: the canonical keys replace the lower() indexes.
drop index users_email_key;
drop index users_username_key;
