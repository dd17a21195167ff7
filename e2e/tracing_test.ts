/**
 * One trace across the fleet: a signup through the gateway ends in a
 * verification mail, and the spans every process exports with Deno's built-in
 * OpenTelemetry (to a local OTLP receiver) share one trace id, carried over
 * RabbitMQ by the events' `traceparent` header and, from the event to the
 * mail's send, by the traceparent notifications keeps with the queued mail.
 */
import assert from "node:assert/strict";
import { type ReceivedSpan, startMarketplace, startOtlpReceiver } from "./support.ts";

const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

Deno.test({
  name:
    "a signup's trace runs gateway → auth → outbox relay → RabbitMQ → users and notifications → mail",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const receiver = await startOtlpReceiver();
    try {
      const market = await startMarketplace("tracing", {
        tracing: { endpoint: receiver.url, protocol: "http/json" },
      });
      try {
        // The runtime reads the OTEL_* variables itself: they are given, never allowed.
        const auth = market.fleet.commandOf("auth");
        assert.equal(auth.env.OTEL_DENO, "true");
        assert.equal(auth.env.OTEL_SERVICE_NAME, "auth");
        assert.ok(!auth.args.some((arg) => arg.startsWith("--allow-env") && arg.includes("OTEL")));

        const { user } = await market.signup("tracy");
        await market.mailTo(user.email, /confirm your email/i);

        // The trace of the signup: auth's server span for it, under the gateway's call.
        const signupOf = (spans: ReceivedSpan[]) =>
          spans.find((s) => s.service === "auth" && s.kind === SERVER && s.name.includes("POST"));
        const inTrace = (spans: ReceivedSpan[]) => {
          const signup = signupOf(spans);
          return signup ? spans.filter((s) => s.traceId === signup.traceId) : [];
        };
        const consumed = (spans: ReceivedSpan[], service: string) =>
          spans.find((s) =>
            s.service === service && s.kind === CONSUMER && s.name === "process user.registered"
          );
        const mailed = (spans: ReceivedSpan[]) =>
          spans.find((s) => s.service === "notifications" && s.name === "send mail");
        // Deno exports in batches every few seconds: wait until every part has come.
        const spans = inTrace(
          await receiver.waitFor(
            "trace with the gateway, auth's publish, users' and notifications' consumers and the mail's send",
            (all) => {
              const trace = inTrace(all);
              return ["gateway", "auth", "users", "notifications"].every((service) =>
                trace.some((s) => s.service === service)
              ) && consumed(trace, "users") !== undefined &&
                consumed(trace, "notifications") !== undefined && mailed(trace) !== undefined;
            },
          ),
        );

        const services = new Set(spans.map((s) => s.service));
        for (const service of ["gateway", "auth", "users", "notifications"]) {
          assert.ok(services.has(service), `${service} has a span in the signup's trace`);
        }
        const byId = new Map(spans.map((s) => [s.spanId, s]));
        // auth's server span hangs under the gateway (its proxied fetch).
        const signup = signupOf(spans)!;
        assert.equal(byId.get(signup.parentSpanId)?.service, "gateway");
        // The relay published user.registered in a PRODUCER span of this trace…
        const published = spans.find((s) =>
          s.service === "auth" && s.kind === PRODUCER && s.name === "publish user.registered"
        );
        assert.ok(published, "auth's relay published user.registered in the signup's trace");
        assert.equal(published.parentSpanId, signup.spanId, "the publish continues the request");
        // …and each consumer continues that very span across RabbitMQ.
        for (const service of ["users", "notifications"]) {
          const consumer = consumed(spans, service)!;
          assert.equal(
            consumer.parentSpanId,
            published.spanId,
            `${service}'s consumer span is a child of auth's publish`,
          );
        }
        // The welcome mail was queued by notifications' consumer and sent later by its
        // mail sender, in a CLIENT span continuing that consumer span.
        const send = mailed(spans)!;
        assert.equal(send.kind, CLIENT);
        assert.equal(
          send.parentSpanId,
          consumed(spans, "notifications")!.spanId,
          "the mail's send is a child of notifications' consumer span",
        );
      } finally {
        await market.close();
      }
    } finally {
      await receiver.close();
    }
  },
});
