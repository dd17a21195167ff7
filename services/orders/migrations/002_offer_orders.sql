-- Orders made from a custom offer accepted in chat (`offer.accepted`): the
-- package tier `custom` (the offer's description, days and revisions are the
-- package snapshot), and the offer's id, unique, so one offer makes at most one
-- order whatever the broker redelivers. An order has an offer id exactly when
-- it is a custom one.
alter table orders drop constraint orders_tier_check;
alter table orders add constraint orders_tier_check
  check (tier in ('basic', 'standard', 'premium', 'custom'));
alter table orders add column offer_id uuid unique;
alter table orders add constraint orders_custom_offer check ((tier = 'custom') = (offer_id is not null));
