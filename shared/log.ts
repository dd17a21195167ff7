/**
 * JSON logs, one object per line, named in the Elastic Common Schema (ECS) so
 * Filebeat → Elasticsearch indexes them as they are (infra/filebeat/filebeat.yml).
 * Each line carries the request id and the trace of whatever request or event is
 * being handled (kept in AsyncLocalStorage so callers never pass them).
 *
 * A line: `{"@timestamp", "log.level", "message", "ecs.version", "service.name",
 * "http.request.id"?, "trace.id"?, "span.id"?, "error.*"?, ...caller fields}`.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { parseTraceparent } from "./tracing.ts";

/** What travels with a unit of work: the request id and the W3C traceparent. */
export interface WorkContext {
  requestId: string;
  traceparent?: string;
}

const storage = new AsyncLocalStorage<WorkContext>();

/** Runs `fn` with `context` visible to `currentContext()` and every log line. */
export function runWithContext<T>(context: WorkContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The request id and traceparent of the work in progress, if any. */
export function currentContext(): WorkContext | undefined {
  return storage.getStore();
}

/** The ECS version whose field names the log lines use. */
export const ECS_VERSION = "8.11.0";

type Level = "debug" | "info" | "warn" | "error";
/** Minimum level a logger prints; "silent" prints nothing (tests). */
export type LogThreshold = Level | "silent";
const order: Record<LogThreshold, number> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  silent: 99,
};

/**
 * A structured logger bound to one service. `fields` are added to the line: keys
 * with a dot are ECS field names (`"url.path"`, `"event.duration"`) and kept as
 * they are; an `error` field becomes ECS `error.type/message/stack_trace`; other
 * keys are custom fields, except a bare ECS field-set name (`host`, `service`,
 * `event`, …) whose value would clash with the ECS object of that name: it is
 * written under `labels` instead. No field replaces one the logger sets.
 */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * Creates a logger writing ECS JSON lines to stdout (stderr for warn and error).
 * `minLevel` defaults to "info"; tests pass "error" to keep their output readable.
 */
export function createLogger(service: string, minLevel: LogThreshold = "info"): Logger {
  const write = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (order[level] < order[minLevel]) return;
    const line = formatEntry(service, level, msg, fields, storage.getStore());
    if (order[level] >= order.warn) console.error(line);
    else console.log(line);
  };
  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
  };
}

/**
 * One log line (no newline) as `createLogger` writes it: the fixed ECS keys first,
 * in the order the ECS logging spec asks for, then the caller's fields.
 */
export function formatEntry(
  service: string,
  level: string,
  message: string,
  fields: Record<string, unknown> | undefined,
  context: WorkContext | undefined,
): string {
  const fixed: Record<string, unknown> = {
    "@timestamp": new Date().toISOString(),
    "log.level": level,
    message,
    "ecs.version": ECS_VERSION,
    "service.name": service,
  };
  if (context?.requestId) fixed["http.request.id"] = context.requestId;
  const trace = parseTraceparent(context?.traceparent);
  if (trace) {
    fixed["trace.id"] = trace.traceId;
    fixed["span.id"] = trace.spanId;
  }
  try {
    return JSON.stringify({ ...fixed, ...ecsFields(fields) }, jsonSafe);
  } catch (error) {
    // A circular value must not turn a log call into a throw (often inside a catch).
    return JSON.stringify({
      ...fixed,
      "error.type": "LogFieldsUnserializable",
      "error.message": error instanceof Error ? error.message : String(error),
    });
  }
}

// ECS field sets and base fields: a bare custom key of one of these names holding a
// scalar would be refused by Elasticsearch, whose template maps it as an object.
// `fields`, `input`, `stream` and `type` are Filebeat's own.
const ECS_ROOTS = new Set([
  "@timestamp",
  "agent",
  "as",
  "client",
  "cloud",
  "code_signature",
  "container",
  "data_stream",
  "destination",
  "device",
  "dll",
  "dns",
  "ecs",
  "elf",
  "email",
  "error",
  "event",
  "faas",
  "fields",
  "file",
  "geo",
  "group",
  "hash",
  "host",
  "http",
  "input",
  "interface",
  "labels",
  "log",
  "macho",
  "message",
  "network",
  "observer",
  "orchestrator",
  "organization",
  "os",
  "package",
  "pe",
  "process",
  "registry",
  "related",
  "risk",
  "rule",
  "server",
  "service",
  "source",
  "span",
  "stream",
  "tags",
  "threat",
  "tls",
  "trace",
  "transaction",
  "type",
  "url",
  "user",
  "user_agent",
  "vlan",
  "vulnerability",
  "x509",
]);

// Dotted names the logger owns: a caller's value for one (or below one) is moved
// into `labels` (its key in word characters only), never written over the logger's.
const FIXED = [
  "@timestamp",
  "message",
  "log.level",
  "ecs.version",
  "service.name",
  "http.request.id",
  "trace.id",
  "span.id",
];

function ownedByLogger(key: string): boolean {
  return FIXED.some((name) => key === name || key.startsWith(`${name}.`));
}

function ecsFields(fields?: Record<string, unknown>): Record<string, unknown> {
  if (!fields) return {};
  const out: Record<string, unknown> = {};
  const labels: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (key === "error") Object.assign(out, errorFields(value));
    else if (key === "labels" && isPlainObject(value)) Object.assign(labels, value);
    else if (key.includes(".") ? ownedByLogger(key) : ECS_ROOTS.has(key)) {
      labels[key.replace(/\W/g, "_")] = value instanceof Error ? describeError(value) : value;
    } else out[key] = value instanceof Error ? describeError(value) : value;
  }
  if (Object.keys(labels).length) out.labels = labels;
  return out;
}

/** ECS `error.*` for the `error` field: an Error in full, anything else as the message. */
function errorFields(value: unknown): Record<string, unknown> {
  if (value instanceof Error) {
    const { type, message, stack_trace } = describeError(value);
    return { "error.type": type, "error.message": message, "error.stack_trace": stack_trace };
  }
  return { "error.message": typeof value === "string" ? value : safeString(value) };
}

function describeError(error: Error): { type: string; message: string; stack_trace?: string } {
  let stack = error.stack;
  // A wrapped error's cause is often the useful part (a driver's or the broker's reason).
  for (let cause = error.cause, depth = 0; cause instanceof Error && depth < 3; depth++) {
    stack = `${stack ?? ""}\nCaused by: ${cause.stack ?? `${cause.name}: ${cause.message}`}`;
    cause = cause.cause;
  }
  return { type: error.name, message: error.message, stack_trace: stack };
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value, jsonSafe) ?? String(value);
  } catch {
    return String(value);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// JSON.stringify throws on a bigint; a log line should not.
function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
