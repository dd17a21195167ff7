/**
 * Traces across processes, on top of Deno's built-in OpenTelemetry.
 *
 * With `OTEL_DENO=true` Deno exports spans over OTLP and traces every incoming
 * `Deno.serve` request and outgoing `fetch` itself (W3C `traceparent` in and
 * out). What it cannot see is RabbitMQ: an event is written to the outbox in a
 * request, published later by the relay and handled in another process. So the
 * kit carries the W3C `traceparent` in the event's headers and continues it with
 * the spans made here: the relay publishes each event in a PRODUCER span that is
 * a child of the request that enqueued it, and the consumer handles it in a
 * CONSUMER span that is a child of that publish.
 *
 * Deno registers its tracer with `npm:@opentelemetry/api`; without `OTEL_DENO`
 * the API is a no-op. Then a span started under a `traceparent` is a
 * non-recording span with that same trace and span id, so the header travels
 * unchanged and nothing else happens (tests and development run that way).
 * `traceparent` headers are parsed here rather than through the API's
 * propagator, which is also a no-op without OTel.
 */
import {
  type Attributes,
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";

export { type Span, SpanKind };

const tracer = trace.getTracer("@mp/shared");

// version "-" trace-id "-" parent-id "-" flags, all lowercase hex (W3C Trace Context §3.2).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/**
 * The span context a W3C `traceparent` header names, or `undefined` when it is
 * missing or malformed: not lowercase hex of the right lengths, version `ff`, an
 * all-zero trace or span id, or anything after the flags in version `00`. A later
 * version may append fields after a `-`; they are ignored, as the specification
 * asks. The one rule for the kit: logs read their `trace.id` with it too.
 */
export function parseTraceparent(header: string | undefined | null): SpanContext | undefined {
  const match = typeof header === "string" ? TRACEPARENT.exec(header.trim()) : null;
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16), isRemote: true };
}

/** The W3C `traceparent` of a span context; `undefined` for an invalid (no-op) one. */
export function formatTraceparent(spanContext: SpanContext): string | undefined {
  if (!trace.isSpanContextValid(spanContext)) return undefined;
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, "0");
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

/** The `traceparent` that names `span` as the parent of what follows it. */
export function traceparentOf(span: Span): string | undefined {
  return formatTraceparent(span.spanContext());
}

/**
 * The `traceparent` of the span active here (the request's server span under
 * `Deno.serve`, a consumer span in an event handler), or `undefined` when
 * tracing is off or no span is active.
 */
export function activeTraceparent(): string | undefined {
  const span = trace.getActiveSpan();
  return span ? traceparentOf(span) : undefined;
}

/** The first valid `traceparent` of the given values (normalised), else `undefined`. */
export function validTraceparent(...candidates: (string | undefined | null)[]): string | undefined {
  for (const candidate of candidates) {
    const parsed = parseTraceparent(candidate);
    if (parsed) return formatTraceparent(parsed);
  }
  return undefined;
}

/** Options of `startSpan` and `withSpan`. */
export interface SpanOptions {
  kind?: SpanKind;
  /**
   * Set (even to `undefined`) for work that arrived from elsewhere (an event):
   * the span continues this
   * W3C `traceparent`, or starts a new trace when it is absent or invalid; it
   * never hangs under whatever span happens to be active (a connection's
   * callbacks may run in the context of the request that opened it). Not set:
   * the span is a child of the active span.
   */
  remoteParent?: string;
  attributes?: Attributes;
}

/** Where a new span hangs (see `SpanOptions.remoteParent`). */
function parentContext(options: SpanOptions): Context {
  if (!("remoteParent" in options)) return context.active();
  const remote = parseTraceparent(options.remoteParent);
  return remote ? trace.setSpanContext(ROOT_CONTEXT, remote) : ROOT_CONTEXT;
}

/**
 * Starts a span the caller must `endSpan`. It is not made active: for work that
 * runs inside it, use `withSpan`.
 */
export function startSpan(name: string, options: SpanOptions = {}): Span {
  return tracer.startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    parentContext(options),
  );
}

/** Ends a span, recording `error` (an exception event and status ERROR) when given. */
export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) failSpan(span, error);
  span.end();
}

/** Records a failure on a span that goes on (or is ended by someone else). */
export function failSpan(span: Span, error: unknown): void {
  const failure = error instanceof Error ? error : new Error(String(error));
  span.recordException(failure);
  span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
}

/**
 * Runs `fn` inside a new span, active for everything `fn` awaits (so `fetch`
 * and `activeTraceparent()` see it), and ends it when `fn` settles; a throw is
 * recorded on the span and rethrown.
 */
export async function withSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const span = startSpan(name, options);
  try {
    const result = await context.with(trace.setSpan(context.active(), span), () => fn(span));
    span.end();
    return result;
  } catch (error) {
    endSpan(span, error);
    throw error;
  }
}
