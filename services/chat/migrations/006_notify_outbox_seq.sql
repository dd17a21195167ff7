-- Migration 005's function with one change: its NOTIFY names the outbox row's
-- seq, as `enqueueEvent` (shared/outbox.ts) now does. The relay ignores the
-- notification of a row it has already claimed and, after a batch, goes again
-- only for a row it heard of and did not claim; an empty payload (005's) woke it
-- for a transaction that mostly found nothing, nearly one per message.
-- Signature, checks, outcomes and the rows written are 005's.

create or replace function chat_send_message(
  p_conversation_id uuid,
  p_sender_id uuid,
  p_username text,
  p_message_id uuid,
  p_client_id text,
  p_body text,
  p_attachments jsonb,
  p_gig_id uuid,
  p_order_id uuid,
  p_rate_limit int,
  p_rate_window interval,
  p_reminder_delay interval,
  p_event_id uuid,
  p_event_headers jsonb
) returns table (
  outcome text,
  other_user_id uuid,
  rate_oldest timestamptz,
  seq bigint,
  id uuid,
  conversation_id uuid,
  sender_id uuid,
  client_id text,
  kind text,
  body text,
  attachments jsonb,
  gig_id uuid,
  order_id uuid,
  offer_id uuid,
  created_at timestamptz
) language plpgsql as $$
#variable_conflict use_column
declare
  v_blocked boolean;
  v_other_blocked boolean;
  v_count int;
  -- Locals for what the side updates read (their tables have columns of the
  -- output's names, which win here).
  v_other uuid;
  v_created timestamptz;
  v_event_seq bigint;
begin
  select me.other_user_id, me.blocked, other.blocked
    into other_user_id, v_blocked, v_other_blocked
    from conversation_members me
    join conversation_members other
      on other.conversation_id = me.conversation_id and other.user_id = me.other_user_id
    where me.conversation_id = p_conversation_id and me.user_id = p_sender_id;
  if not found then
    outcome := 'not_member';
    return next;
    return;
  end if;
  v_other := other_user_id;

  -- Serializes one user's sends (the rate limit counts, then inserts).
  perform pg_advisory_xact_lock(hashtextextended('chat:send:' || p_sender_id::text, 0));

  select m.seq, m.id, m.conversation_id, m.sender_id, m.client_id, m.kind, m.body,
      m.attachments, m.gig_id, m.order_id, m.offer_id, m.created_at
    into seq, id, conversation_id, sender_id, client_id, kind, body, attachments, gig_id,
      order_id, offer_id, created_at
    from messages m
    where m.conversation_id = p_conversation_id and m.sender_id = p_sender_id
      and m.client_id = p_client_id;
  if found then
    outcome := 'earlier';
    return next;
    return;
  end if;

  if v_other_blocked then
    outcome := 'blocked';
    return next;
    return;
  end if;
  if v_blocked then
    outcome := 'you_blocked';
    return next;
    return;
  end if;

  if p_gig_id is not null and not exists (
    select 1 from gigs g where g.gig_id = p_gig_id and g.status <> 'deleted'
  ) then
    outcome := 'unknown_gig';
    return next;
    return;
  end if;
  if p_order_id is not null and not exists (
    select 1 from orders o where o.order_id = p_order_id
      and o.buyer_id in (p_sender_id, v_other) and o.seller_id in (p_sender_id, v_other)
  ) then
    outcome := 'unknown_order';
    return next;
    return;
  end if;

  select count(*)::int, min(m.created_at) into v_count, rate_oldest
    from messages m
    where m.sender_id = p_sender_id and m.created_at > now() - p_rate_window;
  if v_count >= p_rate_limit then
    outcome := 'rate_limited';
    return next;
    return;
  end if;
  rate_oldest := null;

  -- The caller, remembered from their token unless already known.
  insert into users (user_id, username) values (p_sender_id, p_username)
    on conflict (user_id) do nothing;

  insert into messages as m (id, conversation_id, sender_id, client_id, kind, body, attachments,
      gig_id, order_id, offer_id)
    values (p_message_id, p_conversation_id, p_sender_id, p_client_id, 'text', p_body,
      p_attachments, p_gig_id, p_order_id, null)
    returning m.seq, m.id, m.conversation_id, m.sender_id, m.client_id, m.kind, m.body,
      m.attachments, m.gig_id, m.order_id, m.offer_id, m.created_at
    into seq, id, conversation_id, sender_id, client_id, kind, body, attachments, gig_id,
      order_id, offer_id, created_at;
  v_created := created_at;
  update conversations c set last_activity_at = v_created,
      activity_seq = nextval('activity_seq')
    where c.id = p_conversation_id;
  update conversation_members cm set remind_at = greatest(
      v_created + p_reminder_delay, cm.reminded_at + p_reminder_delay)
    where cm.conversation_id = p_conversation_id and cm.user_id = v_other
      and cm.remind_at is null;

  -- `message.sent`, as `publish.messageSent` (events.ts) through `enqueueEvent`
  -- (shared/outbox.ts) writes it: data `{ message: MessageView, recipientId }`,
  -- `createdAt` as JavaScript's toISOString() (UTC, milliseconds cut, not
  -- rounded, like the driver's Date), the headers the caller built from its
  -- request context, and the NOTIFY that wakes the relay at commit, naming the
  -- row's seq as enqueueEvent's does.
  -- send_event_test.ts fails if this drifts from what enqueueEvent writes.
  insert into outbox (id, type, data, headers, occurred_at)
    values (p_event_id, 'message.sent', jsonb_build_object(
      'message', jsonb_build_object(
        'id', id,
        'conversationId', conversation_id,
        'senderId', sender_id,
        'clientId', client_id,
        'kind', kind,
        'body', body,
        'attachments', attachments,
        'gigId', gig_id,
        'orderId', order_id,
        'offerId', offer_id,
        'createdAt', to_char(v_created at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
      'recipientId', v_other), p_event_headers, v_created)
    returning outbox.seq into v_event_seq;
  perform pg_notify('outbox', v_event_seq::text);
  outcome := 'sent';
  return next;
end;
$$;
