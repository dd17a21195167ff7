-- Orders' refusal of an accepted offer (`offer.rejected`): why the offer made
-- no order. Null unless orders refused it. The offer stays `accepted` (the five
-- statuses are the issue's); a reason is only ever set on an accepted offer
-- without an order, and an order (`order.created`) clears it.
alter table offers
  add column order_rejected_reason text
    check (order_rejected_reason in ('gig_not_found', 'not_gig_seller', 'own_gig', 'gig_paused',
      'currency_mismatch', 'payment_refused')),
  add constraint offers_rejection_of_accepted
    check (order_rejected_reason is null or status = 'accepted'),
  add constraint offers_order_or_rejection
    check (order_id is null or order_rejected_reason is null);
