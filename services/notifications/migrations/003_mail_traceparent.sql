-- The W3C traceparent of the work that queued a mail (the consumer span of the
-- event being handled), so the sender, which runs later in another loop, sends it
-- in a span of that same trace. Null when there was none (tracing off and no
-- header on the event); only valid version-00 values are stored.
alter table mail_outbox add column traceparent text
  check (traceparent ~ '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$');
