/** Configuration rules of config.ts, and the payment provider's edges in payments.ts. */
import assert from "node:assert/strict";
import { ConfigError } from "@mp/shared/config";
import { readConfig, stripeHostPort } from "./config.ts";
import { localTestPayments, PaymentProviderError, stripePayments } from "./payments.ts";
import { startStripeDouble } from "./stripe_double.ts";

const BASE = {
  DATABASE_URL: "postgres://orders:pw@127.0.0.1:5432/orders",
  JWT_JWKS: '{"keys":[]}',
};
const STRIPE = { STRIPE_SECRET_KEY: "sk_test_abc123", STRIPE_WEBHOOK_SECRET: "whsec_xyz" };

function problems(env: Record<string, string | undefined>): string[] {
  try {
    readConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("readConfig() defaults to Stripe and requires its key and webhook secret", () => {
  const config = readConfig({ ...BASE, ...STRIPE });
  assert.equal(config.PAYMENTS_MODE, "stripe");
  assert.equal(config.BUYER_FEE_BPS, 550);
  assert.equal(config.BUYER_FEE_FIXED, 100);
  assert.equal(config.PLATFORM_COMMISSION_BPS, 2000);
  assert.equal(config.autoCompleteMs, 3 * 86_400_000);
  assert.equal(config.clearingMs, 14 * 86_400_000);
  assert.deepEqual(problems(BASE), [
    "STRIPE_SECRET_KEY: required when PAYMENTS_MODE is stripe",
    "STRIPE_WEBHOOK_SECRET: required when PAYMENTS_MODE is stripe",
  ]);
});

Deno.test("the local test payment mode cannot be enabled while a Stripe key is set", () => {
  assert.equal(readConfig({ ...BASE, PAYMENTS_MODE: "local_test" }).PAYMENTS_MODE, "local_test");
  // An empty variable counts as unset.
  assert.equal(
    readConfig({ ...BASE, PAYMENTS_MODE: "local_test", STRIPE_SECRET_KEY: "" }).PAYMENTS_MODE,
    "local_test",
  );
  for (
    const extra of [STRIPE, { STRIPE_SECRET_KEY: "sk_live_abc" }, {
      STRIPE_WEBHOOK_SECRET: "whsec_1",
    }]
  ) {
    const [problem] = problems({ ...BASE, PAYMENTS_MODE: "local_test", ...extra });
    assert.match(problem, /^PAYMENTS_MODE: local_test/);
  }
});

Deno.test("readConfig() names every malformed variable", () => {
  const found = problems({
    ...BASE,
    DATABASE_URL: "postgres://127.0.0.1/orders",
    STRIPE_SECRET_KEY: "pk_test_publishable",
    STRIPE_WEBHOOK_SECRET: "secret",
    STRIPE_API_URL: "ftp://stripe",
    BUYER_FEE_BPS: "10001",
    PLATFORM_COMMISSION_BPS: "12.5",
    AUTO_COMPLETE_DAYS: "-1",
    PAYMENTS_MODE: "free",
  });
  for (
    const name of [
      "DATABASE_URL",
      "STRIPE_SECRET_KEY",
      "STRIPE_WEBHOOK_SECRET",
      "STRIPE_API_URL",
      "BUYER_FEE_BPS",
      "PLATFORM_COMMISSION_BPS",
      "AUTO_COMPLETE_DAYS",
      "PAYMENTS_MODE",
    ]
  ) {
    assert.ok(found.some((p) => p.startsWith(`${name}:`)), `${name} in ${found.join("; ")}`);
  }
});

Deno.test("fractional days are allowed (short test durations) and converted to milliseconds", () => {
  const config = readConfig({
    ...BASE,
    ...STRIPE,
    AUTO_COMPLETE_DAYS: "0.0001",
    CLEARING_DAYS: "0",
  });
  assert.equal(config.autoCompleteMs, 8640);
  assert.equal(config.clearingMs, 0);
});

Deno.test("stripeHostPort() names the host:port --allow-net needs", () => {
  assert.equal(stripeHostPort(undefined), "api.stripe.com:443");
  assert.equal(stripeHostPort("http://localhost:12111"), "localhost:12111");
  assert.equal(stripeHostPort("http://stripe-mock"), "stripe-mock:80");
  assert.equal(stripeHostPort("https://stripe.internal:8443/"), "stripe.internal:8443");
});

Deno.test("stripePayments() maps Stripe's answers: 4xx are definitive, 5xx and outages retryable; keys are honoured", async () => {
  const stripe = startStripeDouble();
  const payments = stripePayments({
    secretKey: stripe.secretKey,
    webhookSecret: stripe.webhookSecret,
    apiUrl: stripe.url,
    maxNetworkRetries: 0,
  });
  try {
    const input = {
      orderId: "o1",
      buyerId: "b1",
      gigId: "g1",
      description: "d",
      amount: 1234,
      currency: "EUR",
      idempotencyKey: "order-o1",
    };
    const first = await payments.createPaymentIntent(input);
    const again = await payments.createPaymentIntent(input);
    assert.equal(again.id, first.id, "same key, same intent");
    assert.equal(stripe.paymentIntents.size, 1);
    const reused = await payments.createPaymentIntent({ ...input, amount: 1 }).catch((e) => e);
    assert.ok(reused instanceof PaymentProviderError && !reused.retryable);

    const state = await payments.retrievePaymentIntent(first.id);
    assert.deepEqual(state, {
      id: first.id,
      status: "pending",
      amount: 1234,
      currency: "EUR",
      orderId: "o1",
      error: null,
    });
    const unknown = await payments.retrievePaymentIntent("pi_nope").catch((e) => e);
    assert.ok(
      unknown instanceof PaymentProviderError && !unknown.retryable && unknown.status === 404,
    );
    stripe.failNext("GET", "/v1/payment_intents", 1, 500);
    const outage = await payments.retrievePaymentIntent(first.id).catch((e) => e);
    assert.ok(outage instanceof PaymentProviderError && outage.retryable);
    const notPaid = await payments.refund({
      orderId: "o1",
      paymentIntentId: first.id,
      amount: 1234,
      idempotencyKey: "refund-o1",
    }).catch((e) => e);
    assert.ok(notPaid instanceof PaymentProviderError && !notPaid.retryable);

    const wrongKey = stripePayments({
      secretKey: "sk_test_wrong",
      webhookSecret: "whsec_x",
      apiUrl: stripe.url,
      maxNetworkRetries: 0,
    });
    const denied = await wrongKey.retrievePaymentIntent(first.id).catch((e) => e);
    assert.ok(denied instanceof PaymentProviderError && denied.status === 401);
  } finally {
    await stripe.close();
  }
  // Nobody listening at all.
  const closed = stripePayments({
    secretKey: stripe.secretKey,
    webhookSecret: stripe.webhookSecret,
    apiUrl: stripe.url,
    maxNetworkRetries: 0,
    timeoutMs: 2000,
  });
  const down = await closed.retrievePaymentIntent("pi_x").catch((e) => e);
  assert.ok(down instanceof PaymentProviderError && down.retryable);
});

Deno.test("localTestPayments() is clearly named, moves nothing and accepts no webhooks", async () => {
  const payments = localTestPayments();
  assert.equal(payments.mode, "local_test");
  const intent = await payments.createPaymentIntent({
    orderId: "o",
    buyerId: "b",
    gigId: "g",
    description: "d",
    amount: 1,
    currency: "USD",
    idempotencyKey: "k",
  });
  assert.match(intent.id, /^local_test_pi_[0-9a-f]{32}$/);
  assert.match(
    (await payments.refund({
      orderId: "o",
      paymentIntentId: intent.id,
      amount: 1,
      idempotencyKey: "r",
    })).id,
    /^local_test_re_/,
  );
  await assert.rejects(() => payments.verifyWebhook("{}", "t=1,v1=x"));
});
