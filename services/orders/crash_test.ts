/**
 * The orders process killed (SIGKILL) after its database write and before its
 * acknowledgement, then restarted: nothing happens twice.
 *
 * The moment is made deterministic with a TCP proxy that swallows bytes in one
 * direction: the process's bytes to RabbitMQ (so its ack of a consumed event
 * never arrives) and the process's HTTP answer to Stripe (so the webhook's 200
 * never arrives). The test waits until the database holds the effect, kills
 * the process, and lets the sender redeliver: the broker requeues the unacked
 * event, "Stripe" retries the webhook.
 */
import assert from "node:assert/strict";
import { EventBus } from "@mp/shared/bus";
import { createTestKeys, freshDatabase, quietLogger, testBus, waitFor } from "@mp/shared/testing";
import { startStripeDouble } from "./stripe_double.ts";
import {
  deleteQueues,
  envelope,
  gigData,
  type OrdersProcess,
  startOrdersProcess,
  startTcpProxy,
} from "./test_support.ts";

Deno.test("killed between commit and ack, the orders process leaves no duplicate effect after restart", async (t) => {
  const db = await freshDatabase("orders_crash");
  const broker = testBus("orders_crash");
  const stripe = startStripeDouble();
  const keys = await createTestKeys();
  const amqpTarget = new URL(broker.url);
  const amqpProxy = startTcpProxy({
    hostname: amqpTarget.hostname,
    port: Number(amqpTarget.port || 5672),
  });
  const proxiedAmqp = `amqp://guest:guest@127.0.0.1:${amqpProxy.port}`;
  const publisher = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: "gigs",
    log: quietLogger(),
  });
  await publisher.start();
  const env = {
    EVENTS_EXCHANGE: broker.exchange,
    JWT_JWKS: JSON.stringify(keys.jwks),
    STRIPE_SECRET_KEY: stripe.secretKey,
    STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
    LOG_LEVEL: "info",
  };
  const start = () =>
    startOrdersProcess(
      { databaseUrl: db.url, amqpUrl: proxiedAmqp, stripeApiUrl: stripe.url },
      env,
    );
  const seller = crypto.randomUUID();
  const gig = gigData(seller, { updatedAt: new Date(Date.UTC(2030, 0, 1)).toISOString() });
  let proc: OrdersProcess | undefined;
  try {
    proc = await start();
    await publisher.publish([{ envelope: envelope("gig.created", gig), headers: {} }]);
    await waitFor(
      async () => (await db.sql`select 1 from gigs where gig_id = ${gig.gigId}`).length === 1,
      {
        what: "the gig replicated",
      },
    );

    await t.step(
      "a consumed event: committed, ack lost, redelivered after restart, ignored",
      async () => {
        const updated = envelope("gig.updated", {
          ...gig,
          title: "A newer title of this gig",
          updatedAt: new Date(Date.UTC(2030, 0, 2)).toISOString(),
        });
        amqpProxy.holdToTarget(); // the process's acks (and everything else) stop reaching RabbitMQ
        await publisher.publish([{ envelope: updated, headers: {} }]);
        await waitFor(
          async () =>
            (await db.sql`select 1 from inbox where event_id = ${updated.id}`).length === 1,
          { what: "the event's effect committed" },
        );
        const killed = await proc!.stop("SIGKILL");
        assert.equal(killed.success, false);
        amqpProxy.dropAll(); // the broker sees the connection go, with the message unacked
        amqpProxy.release();

        proc = await start();
        // The broker redelivers the unacked event; the inbox recognises it.
        await waitFor(
          () =>
            proc!.stdout.some((line) =>
              line.includes('"duplicate event ignored"') && line.includes(updated.id)
            ),
          { timeoutMs: 20_000, what: "the redelivery, ignored as a duplicate" },
        );
        const [inbox] = await db
          .sql`select count(*)::int as n from inbox where event_id = ${updated.id}`;
        assert.equal(inbox.n, 1);
        const [replica] = await db.sql`select title from gigs where gig_id = ${gig.gigId}`;
        assert.equal(replica.title, "A newer title of this gig");
        await waitFor(async () => (await broker.messageCount(`${broker.exchange}.orders`)) === 0, {
          what: "the redelivery acknowledged",
        });
      },
    );

    await t.step(
      "a webhook: committed, answer lost, retried by Stripe after restart, one transition",
      async () => {
        const buyer = crypto.randomUUID();
        const token = await keys.sign({ sub: buyer, username: "bea" });
        const placed = await fetch(`${proc!.base}/api/v1/orders`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${token}`,
            "content-type": "application/json",
            "idempotency-key": crypto.randomUUID(),
          },
          body: JSON.stringify({
            gigId: gig.gigId,
            package: "basic",
            requirements: [{ questionId: gig.requirements[0].id, answer: "Acme" }],
          }),
        });
        assert.equal(placed.status, 201);
        const order = await placed.json();
        const delivery = await stripe.sign(stripe.succeed(order.payment.paymentIntentId));

        const httpProxy = startTcpProxy({ hostname: "127.0.0.1", port: proc!.port });
        httpProxy.holdFromTarget(); // the process's answers stop reaching "Stripe"
        const lost = fetch(`http://127.0.0.1:${httpProxy.port}/api/v1/payments/stripe/webhook`, {
          method: "POST",
          headers: { "stripe-signature": delivery.signature, "content-type": "application/json" },
          body: delivery.body,
        }).then((r) => r.status, () => "no answer");
        await waitFor(async () => {
          const [row] = await db.sql`select status from orders where id = ${order.id}`;
          return row.status === "in_progress";
        }, { what: "the payment committed" });
        await proc!.stop("SIGKILL");
        httpProxy.dropAll();
        assert.equal(await lost, "no answer", "Stripe never got its 200, so it will retry");
        await httpProxy.close();

        proc = await start();
        const retried = await fetch(`${proc.base}/api/v1/payments/stripe/webhook`, {
          method: "POST",
          headers: { "stripe-signature": delivery.signature, "content-type": "application/json" },
          body: delivery.body,
        });
        assert.equal(retried.status, 200);
        assert.equal((await retried.json()).result, "duplicate");

        const [effects] = await db.sql`select
        (select count(*)::int from ledger_transactions where order_id = ${order.id} and kind = 'capture') as captures,
        (select count(*)::int from outbox where type = 'order.paid' and data->>'orderId' = ${order.id}) as paid_events,
        (select count(*)::int from order_timeline where order_id = ${order.id} and kind = 'paid') as paid_entries,
        (select count(*)::int from stripe_events) as stripe_events`;
        assert.deepEqual(effects, {
          captures: 1,
          paid_events: 1,
          paid_entries: 1,
          stripe_events: 1,
        });
        const [ledger] = await db
          .sql`select coalesce(sum(amount), 0)::int as total from ledger_entries`;
        assert.equal(ledger.total, 0);
      },
    );

    const status = await proc.stop("SIGTERM");
    assert.equal(status.code, 0, proc.stderr.join("\n"));
  } finally {
    await proc?.stop("SIGKILL");
    await publisher.close();
    await amqpProxy.close();
    await deleteQueues(broker.url, [`${broker.exchange}.orders`, `${broker.exchange}.orders.dlq`]);
    await broker.cleanup();
    await stripe.close();
    await db.drop();
  }
});
