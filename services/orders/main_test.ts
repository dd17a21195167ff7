/**
 * main.ts as a real process under exactly the permission flags of README.md
 * (`serveArgs` in test_support.ts), with the real npm:stripe SDK reaching the
 * Stripe double through STRIPE_API_URL: it migrates, gets ready, learns a gig
 * from the broker, takes an order (a PaymentIntent at "Stripe"), follows a
 * signed webhook, publishes its events, onboards a seller, and exits cleanly
 * on SIGTERM. A dependency that starts needing a wider permission fails here.
 */
import assert from "node:assert/strict";
import amqp from "amqplib";
import { EventBus } from "@mp/shared/bus";
import { createTestKeys, freshDatabase, quietLogger, testBus, waitFor } from "@mp/shared/testing";
import { startStripeDouble } from "./stripe_double.ts";
import {
  deleteQueues,
  envelope,
  gigData,
  PROCESS_ENV_NAMES,
  serveArgs,
  startOrdersProcess,
} from "./test_support.ts";

Deno.test("main.ts runs under its least-privilege flags: ready, orders, pays by webhook, publishes, stops on SIGTERM", async () => {
  const db = await freshDatabase("orders_main");
  const broker = testBus("orders_main");
  const stripe = startStripeDouble();
  const keys = await createTestKeys();
  const publisher = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: "gigs",
    log: quietLogger(),
  });
  const connection = await amqp.connect(broker.url);
  const channel = await connection.createChannel();
  let proc;
  try {
    proc = await startOrdersProcess(
      { databaseUrl: db.url, amqpUrl: broker.url, stripeApiUrl: stripe.url },
      {
        EVENTS_EXCHANGE: broker.exchange,
        JWT_JWKS: JSON.stringify(keys.jwks),
        STRIPE_SECRET_KEY: stripe.secretKey,
        STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
        PUBLIC_URL: "https://market.example",
        LOG_LEVEL: "warn",
      },
    );
    // The flags are what the README says, and nothing wider.
    const args = serveArgs({
      port: proc.port,
      databaseUrl: db.url,
      amqpUrl: broker.url,
      stripeApiUrl: stripe.url,
    });
    assert.ok(
      !args.some((a) =>
        /^(-A|--allow-all|--allow-run|--allow-ffi|--allow-write|--allow-sys)/.test(a)
      ),
    );
    assert.ok(args.includes(`--allow-env=${PROCESS_ENV_NAMES.join(",")}`));

    // Watch what the service publishes.
    const { queue } = await channel.assertQueue("", { exclusive: true });
    await channel.bindQueue(queue, broker.exchange, "order.*");

    const seller = crypto.randomUUID();
    const buyer = crypto.randomUUID();
    const gig = gigData(seller);
    await publisher.start();
    await publisher.publish([{ envelope: envelope("gig.created", gig), headers: {} }]);

    const buyerToken = await keys.sign({ sub: buyer, username: "bea" });
    const key = crypto.randomUUID();
    const order = await waitFor(async () => {
      const res = await fetch(`${proc!.base}/api/v1/orders`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${buyerToken}`,
          "content-type": "application/json",
          "idempotency-key": key,
          "x-request-id": "main-test",
        },
        body: JSON.stringify({
          gigId: gig.gigId,
          package: "basic",
          requirements: [{ questionId: gig.requirements[0].id, answer: "Acme" }],
        }),
      });
      const body = await res.json();
      return res.status === 201 ? body : undefined;
    }, { timeoutMs: 15_000, what: "an order once the gig is replicated" });
    assert.equal(order.total.amount, 2738);
    assert.ok(stripe.paymentIntents.has(order.payment.paymentIntentId));

    const { body, signature } = await stripe.sign(stripe.succeed(order.payment.paymentIntentId));
    const hook = await fetch(`${proc.base}/api/v1/payments/stripe/webhook`, {
      method: "POST",
      headers: { "stripe-signature": signature, "content-type": "application/json" },
      body,
    });
    assert.equal(hook.status, 200);
    assert.equal((await hook.json()).result, "paid");

    const seen: { type: string; requestId?: string }[] = [];
    const published = await waitFor(async () => {
      for (;;) {
        const message = await channel.get(queue, { noAck: true });
        if (!message) break;
        seen.push({
          type: message.fields.routingKey,
          requestId: message.properties.headers?.["x-request-id"]?.toString(),
        });
      }
      return seen.length >= 2 ? seen : undefined;
    }, { what: "order events on the exchange" });
    assert.deepEqual(published.map((m) => m.type), ["order.created", "order.paid"]);
    assert.equal(published[0].requestId, "main-test");

    const sellerToken = await keys.sign({ sub: seller, username: "sam" });
    const account = await fetch(`${proc.base}/api/v1/sellers/me/payment-account`, {
      method: "POST",
      headers: { authorization: `Bearer ${sellerToken}` },
    });
    assert.equal(account.status, 201);
    assert.match((await account.json()).onboardingUrl, /^https:\/\/connect\.stripe\.com\//);

    const status = await proc.stop("SIGTERM");
    const errors = proc.stderr.join("\n");
    assert.equal(status.code, 0, errors);
    assert.ok(!/NotCapable|PermissionDenied|Requires .* access/.test(errors), errors);
  } finally {
    await proc?.stop("SIGKILL");
    await connection.close().catch(() => {});
    await publisher.close();
    await deleteQueues(broker.url, [`${broker.exchange}.orders`, `${broker.exchange}.orders.dlq`]);
    await broker.cleanup();
    await stripe.close();
    await db.drop();
  }
});

Deno.test("main.ts refuses to start in local test payment mode while a Stripe key is set", async () => {
  const stripe = startStripeDouble();
  try {
    const error = await startOrdersProcess(
      {
        databaseUrl: "postgres://orders:pw@127.0.0.1:5432/orders_none",
        amqpUrl: "amqp://guest:guest@127.0.0.1:5672",
        stripeApiUrl: stripe.url,
      },
      {
        JWT_JWKS: '{"keys":[]}',
        PAYMENTS_MODE: "local_test",
        STRIPE_SECRET_KEY: "sk_live_realkey",
      },
    ).then(() => undefined, (e: Error) => e);
    assert.ok(error, "the process must not get ready");
    assert.match(error.message, /PAYMENTS_MODE: local_test .* cannot be used while a Stripe key/);
  } finally {
    await stripe.close();
  }
});
