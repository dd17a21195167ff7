/**
 * JSON logs, one object per line, carrying the request id of whatever request or
 * event is being handled (kept in AsyncLocalStorage so callers never pass it).
 */
import { AsyncLocalStorage } from "node:async_hooks";

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

/** A structured logger bound to one service. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * Creates a logger writing JSON lines to stdout (stderr for warn and error).
 * `minLevel` defaults to "info"; tests pass "error" to keep their output readable.
 */
export function createLogger(service: string, minLevel: LogThreshold = "info"): Logger {
  const write = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (order[level] < order[minLevel]) return;
    const context = storage.getStore();
    // Caller fields first, so none of them can overwrite the fixed keys.
    const line = JSON.stringify({
      ...serializeFields(fields),
      time: new Date().toISOString(),
      level,
      service,
      msg,
      requestId: context?.requestId,
    });
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

function serializeFields(fields?: Record<string, unknown>) {
  if (!fields) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error
      ? { name: value.name, message: value.message, stack: value.stack }
      : value;
  }
  return out;
}
