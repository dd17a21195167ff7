-- Orders service schema. User ids (buyers, sellers) are auth's ids kept as text,
-- so this service assumes nothing of their format and a strange token `sub`
-- can never make a query fail.

-- Replica of purchasable gigs, learned only from gig.created/updated/deleted.
-- `source_updated_at` is the gig's own updatedAt: an older event never
-- overwrites newer data. `deleted` is final (a tombstone, also when the delete
-- arrives before the create).
create table gigs (
  gig_id uuid primary key,
  seller_id text not null check (length(seller_id) between 1 and 200),
  title text not null,
  status text not null check (status in ('active', 'paused', 'deleted')),
  packages jsonb not null default '[]',
  requirements jsonb not null default '[]',
  source_updated_at timestamptz not null,
  received_at timestamptz not null default now()
);

create table orders (
  id uuid primary key,
  gig_id uuid not null,
  buyer_id text not null check (length(buyer_id) between 1 and 200),
  seller_id text not null check (length(seller_id) between 1 and 200),
  gig_title text not null,
  tier text not null check (tier in ('basic', 'standard', 'premium')),
  -- The package as it was when ordered: name, description, features, days, revisions.
  package jsonb not null,
  requirements jsonb not null,
  currency char(3) not null,
  price bigint not null check (price > 0),
  service_fee bigint not null check (service_fee >= 0),
  total bigint not null check (total = price + service_fee),
  commission bigint not null check (commission between 0 and price),
  seller_earnings bigint not null check (seller_earnings = price - commission),
  delivery_days integer not null check (delivery_days > 0),
  revisions_included integer not null check (revisions_included >= 0),
  revisions_used integer not null default 0
    check (revisions_used between 0 and revisions_included),
  extension_days integer not null default 0 check (extension_days >= 0),
  status text not null check (status in
    ('pending_payment', 'in_progress', 'delivered', 'in_revision', 'completed', 'cancelled')),
  created_at timestamptz not null,
  paid_at timestamptz,
  due_at timestamptz,
  delivered_at timestamptz,
  auto_complete_at timestamptz,
  completed_at timestamptz,
  completed_by text check (completed_by in ('buyer', 'auto')),
  cancelled_at timestamptz,
  cancelled_by text check (cancelled_by in ('buyer', 'seller', 'system')),
  cancel_reason text,
  payment_provider text not null check (payment_provider in ('stripe', 'local_test')),
  payment_intent_id text not null unique,
  payment_client_secret text,
  payment_status text not null check (payment_status in
    ('requires_payment', 'failed', 'succeeded', 'refund_pending', 'refunded')),
  payment_error text,
  updated_at timestamptz not null default now(),
  check (buyer_id <> seller_id),
  check (status <> 'delivered' or auto_complete_at is not null),
  check (status not in ('in_progress', 'delivered', 'in_revision', 'completed') or paid_at is not null)
);
create index orders_by_buyer on orders (buyer_id, created_at desc, id desc);
create index orders_by_seller on orders (seller_id, created_at desc, id desc);
create index orders_auto_complete_due on orders (auto_complete_at) where status = 'delivered';

-- Idempotency-Key of POST /orders, per buyer, with a hash of the request body.
create table idempotency_keys (
  buyer_id text not null,
  key text not null,
  request_hash text not null,
  -- Deferred: the key is claimed first (it serialises concurrent requests), the order follows.
  order_id uuid not null references orders (id) deferrable initially deferred,
  created_at timestamptz not null default now(),
  primary key (buyer_id, key)
);

create table order_timeline (
  id bigserial primary key,
  order_id uuid not null references orders (id),
  at timestamptz not null,
  kind text not null,
  actor text not null check (actor in ('buyer', 'seller', 'system')),
  from_status text,
  to_status text not null,
  details jsonb not null default '{}'
);
create index order_timeline_by_order on order_timeline (order_id, id);

create table deliveries (
  id uuid primary key,
  order_id uuid not null references orders (id),
  message text not null,
  files jsonb not null default '[]',
  delivered_at timestamptz not null
);
create index deliveries_by_order on deliveries (order_id, delivered_at);

create table revision_requests (
  id uuid primary key,
  order_id uuid not null references orders (id),
  message text not null,
  requested_at timestamptz not null
);
create index revision_requests_by_order on revision_requests (order_id, requested_at);

create table extension_requests (
  id uuid primary key,
  order_id uuid not null references orders (id),
  days integer not null check (days between 1 and 30),
  reason text not null,
  status text not null check (status in ('pending', 'approved', 'declined', 'withdrawn')),
  requested_at timestamptz not null,
  answered_at timestamptz
);
create unique index extension_requests_one_open on extension_requests (order_id)
  where status = 'pending';

create table cancellation_requests (
  id uuid primary key,
  order_id uuid not null references orders (id),
  requested_by text not null check (requested_by in ('buyer', 'seller')),
  reason text not null,
  status text not null check (status in ('pending', 'accepted', 'declined', 'withdrawn')),
  requested_at timestamptz not null,
  answered_at timestamptz
);
create unique index cancellation_requests_one_open on cancellation_requests (order_id)
  where status = 'pending';

-- Stripe events already handled (written in the transaction of their effect).
create table stripe_events (
  event_id text primary key,
  type text not null,
  processed_at timestamptz not null default now()
);

-- The double-entry ledger (see ledger.ts). Append-only; each transaction's
-- entries sum to zero per currency, checked at commit by a deferred trigger.
create table ledger_transactions (
  id uuid primary key,
  kind text not null check (kind in
    ('capture', 'release', 'refund', 'clear', 'payout', 'payout_reversal')),
  order_id uuid references orders (id),
  payout_id uuid,
  created_at timestamptz not null,
  check ((kind in ('payout', 'payout_reversal')) = (payout_id is not null and order_id is null))
);
-- The last line of defence against a duplicate effect: one capture, release,
-- refund and clearing per order, one payout and reversal per payout.
create unique index ledger_one_per_order on ledger_transactions (order_id, kind)
  where order_id is not null;
create unique index ledger_one_per_payout on ledger_transactions (payout_id, kind)
  where payout_id is not null;

create table ledger_entries (
  id bigserial primary key,
  transaction_id uuid not null references ledger_transactions (id),
  account text not null check (account in ('stripe_clearing', 'escrow', 'platform_fees',
    'seller_pending', 'seller_available', 'seller_paid_out', 'buyer_refunds')),
  owner text,
  currency char(3) not null,
  amount bigint not null check (amount <> 0),
  check ((account in ('escrow', 'seller_pending', 'seller_available', 'seller_paid_out'))
    = (owner is not null))
);
create index ledger_entries_by_transaction on ledger_entries (transaction_id);
create index ledger_entries_by_account on ledger_entries (account, owner, currency);

create function ledger_transaction_balanced() returns trigger language plpgsql as $$
begin
  if exists (
    select 1 from ledger_entries where transaction_id = new.transaction_id
    group by currency having sum(amount) <> 0
  ) then
    raise exception 'ledger transaction % does not balance', new.transaction_id
      using errcode = 'check_violation';
  end if;
  return null;
end $$;
create constraint trigger ledger_entries_balanced after insert on ledger_entries
  deferrable initially deferred for each row execute function ledger_transaction_balanced();

create function ledger_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'the ledger is append-only' using errcode = 'check_violation';
end $$;
create trigger ledger_entries_append_only before update or delete on ledger_entries
  for each row execute function ledger_append_only();
create trigger ledger_transactions_append_only before update or delete on ledger_transactions
  for each row execute function ledger_append_only();

-- Released earnings waiting to clear; the scheduler claims due rows.
create table clearances (
  order_id uuid primary key references orders (id),
  seller_id text not null,
  currency char(3) not null,
  amount bigint not null check (amount > 0),
  clears_at timestamptz not null,
  cleared_at timestamptz
);
create index clearances_due on clearances (clears_at) where cleared_at is null;

-- Refunds to issue through the payment provider; one per order, retried until
-- submitted (the provider's idempotency key is `refund-<order id>`).
create table refunds (
  order_id uuid primary key references orders (id),
  payment_intent_id text not null,
  amount bigint not null check (amount > 0),
  currency char(3) not null,
  status text not null check (status in ('pending', 'submitted', 'succeeded', 'failed')),
  provider_refund_id text,
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index refunds_due on refunds (next_attempt_at) where status = 'pending';

-- Sellers' connected payout accounts (Stripe Connect).
create table payment_accounts (
  seller_id text primary key,
  provider text not null check (provider in ('stripe', 'local_test')),
  account_id text not null unique,
  created_at timestamptz not null default now()
);

-- Withdrawals; the ledger moves when one is requested, and back if the provider refuses it.
create table payouts (
  id uuid primary key,
  seller_id text not null,
  currency char(3) not null,
  amount bigint not null check (amount > 0),
  destination text not null,
  status text not null check (status in ('pending', 'paid', 'failed')),
  provider_transfer_id text,
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index payouts_by_seller on payouts (seller_id, created_at desc);
create index payouts_due on payouts (next_attempt_at) where status = 'pending';
