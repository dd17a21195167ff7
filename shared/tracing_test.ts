import assert from "node:assert/strict";
import { startOtlpReceiver } from "../e2e/support.ts";
import {
  activeTraceparent,
  parseTraceparent,
  SpanKind,
  startSpan,
  traceparentOf,
  validTraceparent,
  withSpan,
} from "./tracing.ts";

const TRACE = "0af7651916cd43dd8448eb211c80319c";
const SPAN = "b7ad6b7169203331";
const HEADER = `00-${TRACE}-${SPAN}-01`;

Deno.test("parseTraceparent() takes a W3C header and refuses a malformed one", () => {
  assert.deepEqual(parseTraceparent(HEADER), {
    traceId: TRACE,
    spanId: SPAN,
    traceFlags: 1,
    isRemote: true,
  });
  assert.equal(parseTraceparent(` ${HEADER} `)?.spanId, SPAN);
  // A later version may append fields; the four known ones are read.
  assert.equal(parseTraceparent(`01-${TRACE}-${SPAN}-01-more`)?.spanId, SPAN);
  for (
    const bad of [
      undefined,
      "",
      "garbage",
      HEADER.toUpperCase(),
      `ff-${TRACE}-${SPAN}-01`,
      `00-${"0".repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${"0".repeat(16)}-01`,
      `00-${TRACE}-${SPAN}-1`,
      `${HEADER}-extra`,
      `00-${TRACE}-${SPAN}\n-01`,
    ]
  ) assert.equal(parseTraceparent(bad), undefined, String(bad));
});

Deno.test("validTraceparent() gives the first valid header, normalised", () => {
  assert.equal(validTraceparent("nope", ` ${HEADER}`, undefined), HEADER);
  assert.equal(validTraceparent(undefined, null, "x"), undefined);
});

// Tests run without OTEL_DENO: the API is a no-op, and the kit must pass headers through.
Deno.test("without OTel, a span under an event's traceparent carries that header unchanged", async () => {
  assert.equal(activeTraceparent(), undefined);
  const seen = await withSpan(
    "process x",
    { kind: SpanKind.CONSUMER, remoteParent: HEADER },
    (span) => Promise.resolve(traceparentOf(span)),
  );
  assert.equal(seen, HEADER);
  assert.equal(traceparentOf(startSpan("publish x", { remoteParent: undefined })), undefined);
  assert.equal(traceparentOf(startSpan("publish x", { remoteParent: "junk" })), undefined);
  await assert.rejects(
    withSpan("fails", { remoteParent: HEADER }, () => Promise.reject(new Error("boom"))),
    /boom/,
  );
});

// A child process with Deno's OpenTelemetry on, exporting to a receiver in this test.
const CHILD = `
import { activeTraceparent, SpanKind, startSpan, traceparentOf, withSpan, endSpan } from ${
  JSON.stringify(new URL("./tracing.ts", import.meta.url).href)
};
const out = {};
await withSpan("process x", { kind: SpanKind.CONSUMER, remoteParent: ${JSON.stringify(HEADER)} },
  async (consumer) => {
    out.consumer = traceparentOf(consumer);
    await Promise.resolve();
    out.active = activeTraceparent();
    const publish = startSpan("publish y", { kind: SpanKind.PRODUCER });
    out.publish = traceparentOf(publish);
    endSpan(publish);
    const fresh = startSpan("publish z", { kind: SpanKind.PRODUCER, remoteParent: undefined });
    out.fresh = traceparentOf(fresh);
    endSpan(fresh, new Error("refused"));
  });
out.after = activeTraceparent() ?? null;
console.log(JSON.stringify(out));
`;

Deno.test("with OTel on, spans continue a remote traceparent, become active and are exported", async () => {
  const receiver = await startOtlpReceiver();
  try {
    const root = new URL("..", import.meta.url).pathname;
    const child = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", CHILD],
      cwd: root,
      env: {
        OTEL_DENO: "true",
        OTEL_SERVICE_NAME: "tracing-test",
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        NO_COLOR: "1",
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(child.stderr);
    assert.equal(child.code, 0, stderr);
    const out = JSON.parse(new TextDecoder().decode(child.stdout).trim().split("\n").at(-1)!);
    const consumer = parseTraceparent(out.consumer)!;
    assert.equal(consumer.traceId, TRACE, "the consumer span continues the remote trace");
    assert.notEqual(consumer.spanId, SPAN, "…as a span of its own");
    assert.equal(out.active, out.consumer, "withSpan makes its span the active one");
    assert.equal(parseTraceparent(out.publish)?.traceId, TRACE, "a plain span joins the active");
    assert.notEqual(parseTraceparent(out.fresh)?.traceId, TRACE, "no remote parent: a new trace");
    assert.equal(out.after, null, "nothing stays active after withSpan");

    const spans = await receiver.waitFor(
      "the child's three spans",
      (all) => all.filter((s) => s.service === "tracing-test").length >= 3,
    );
    const named = (name: string) => spans.find((s) => s.name === name)!;
    assert.equal(named("process x").parentSpanId, SPAN);
    assert.equal(named("process x").kind, 5);
    assert.equal(named("publish y").parentSpanId, consumer.spanId);
    assert.equal(named("publish y").kind, 4);
    assert.equal(named("publish z").parentSpanId, "");
  } finally {
    await receiver.close();
  }
});
