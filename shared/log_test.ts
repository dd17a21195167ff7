import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { ECS_VERSION, formatEntry, type WorkContext } from "./log.ts";
import { parseTraceparent } from "./tracing.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN = "00f067aa0ba902b7";
const VALID = `00-${TRACE}-${SPAN}-01`;

function entry(
  fields?: Record<string, unknown>,
  context?: WorkContext,
  level = "info",
): Record<string, unknown> {
  const line = formatEntry("orders", level, "order placed", fields, context);
  assert.ok(!line.includes("\n"), "one line per entry");
  return JSON.parse(line);
}

/**
 * Filebeat's `expand_keys`: dotted keys become nested objects. Throws where a key
 * would be both a value and an object, which Elasticsearch would refuse to index.
 */
function expand(flat: Record<string, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const path = key.split(".");
    let node = root;
    for (const part of path.slice(0, -1)) {
      if (node[part] === undefined) node[part] = {};
      const next = node[part];
      if (typeof next !== "object" || next === null || Array.isArray(next)) {
        throw new Error(`${key}: ${part} is already a value`);
      }
      node = next as Record<string, unknown>;
    }
    const last = path.at(-1)!;
    if (last in node) throw new Error(`${key} is set twice`);
    node[last] = value;
  }
  return root;
}

Deno.test("a line carries the ECS fixed fields, in the order the ECS logging spec asks", () => {
  const before = Date.now();
  const line = entry({ orderId: "o-1", amount: 1200 }, { requestId: "req-1" });
  assert.deepEqual(Object.keys(line).slice(0, 4), [
    "@timestamp",
    "log.level",
    "message",
    "ecs.version",
  ]);
  const at = Date.parse(line["@timestamp"] as string);
  assert.ok(at >= before && at <= Date.now(), String(line["@timestamp"]));
  assert.match(line["@timestamp"] as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(line["log.level"], "info");
  assert.equal(line.message, "order placed");
  assert.equal(line["ecs.version"], ECS_VERSION);
  assert.equal(line["service.name"], "orders");
  assert.equal(line["http.request.id"], "req-1");
  // Custom fields are kept as they are, at the root.
  assert.equal(line.orderId, "o-1");
  assert.equal(line.amount, 1200);
  // None of the old names is left.
  for (const old of ["time", "level", "msg", "service", "requestId"]) {
    assert.ok(!(old in line), old);
  }
  expand(line);
});

Deno.test("no request id, trace or span outside a unit of work", () => {
  const line = entry();
  assert.ok(!("http.request.id" in line));
  assert.ok(!("trace.id" in line));
  assert.ok(!("span.id" in line));
});

Deno.test("trace.id and span.id come from the context's W3C traceparent", () => {
  const line = entry({}, { requestId: "r", traceparent: VALID });
  assert.equal(line["trace.id"], TRACE);
  assert.equal(line["span.id"], SPAN);
  // A later version may append fields after the flags; the ids are still read.
  const later = parseTraceparent(`01-${TRACE}-${SPAN}-00-more`);
  assert.deepEqual([later?.traceId, later?.spanId], [TRACE, SPAN]);
});

Deno.test("a malformed traceparent gives no trace.id or span.id", () => {
  const malformed = [
    "",
    "garbage",
    `00-${TRACE}-${SPAN}`, // no flags
    `00-${TRACE.toUpperCase()}-${SPAN}-01`, // uppercase hex
    `00-${TRACE.slice(1)}-${SPAN}-01`, // trace id one short
    `00-${TRACE}-${SPAN}0-01`, // span id one long
    `00-${TRACE}-${SPAN}-1`, // flags one short
    `ff-${TRACE}-${SPAN}-01`, // version ff is invalid
    `00-${"0".repeat(32)}-${SPAN}-01`, // all-zero trace id
    `00-${TRACE}-${"0".repeat(16)}-01`, // all-zero span id
    `00-${TRACE}-${SPAN}-01-extra`, // version 00 ends at the flags
    `0g-${TRACE}-${SPAN}-01`,
    `00_${TRACE}_${SPAN}_01`,
  ];
  for (const traceparent of malformed) {
    assert.equal(parseTraceparent(traceparent), undefined, JSON.stringify(traceparent));
    const line = entry({}, { requestId: "r", traceparent });
    assert.ok(!("trace.id" in line), JSON.stringify(traceparent));
    assert.ok(!("span.id" in line), JSON.stringify(traceparent));
    assert.equal(line["http.request.id"], "r");
  }
  assert.equal(parseTraceparent(undefined), undefined);
});

Deno.test("caller fields never overwrite the keys the logger sets", () => {
  const text = formatEntry("orders", "warn", "real message", {
    "@timestamp": "1970-01-01T00:00:00.000Z",
    "log.level": "debug",
    message: "forged",
    "ecs.version": "0.0.0",
    "service.name": "forged",
    "http.request.id": "forged",
    "trace.id": "forged",
    "span.id": "forged",
    "trace.id.deeper": "forged",
  }, { requestId: "req-9", traceparent: VALID });
  // Each fixed key is written once: no later duplicate for a reader to pick instead.
  for (const key of ["@timestamp", "log.level", "ecs.version", "trace.id", "span.id"]) {
    assert.equal(text.split(`"${key}":`).length, 2, key);
  }
  const line = JSON.parse(text);
  assert.notEqual(line["@timestamp"], "1970-01-01T00:00:00.000Z");
  assert.equal(line["log.level"], "warn");
  assert.equal(line.message, "real message");
  assert.equal(line["ecs.version"], ECS_VERSION);
  assert.equal(line["service.name"], "orders");
  assert.equal(line["http.request.id"], "req-9");
  assert.equal(line["trace.id"], TRACE);
  assert.equal(line["span.id"], SPAN);
  // The caller's values are kept, out of the way, under labels.
  assert.equal(line.labels.message, "forged");
  assert.equal(line.labels["trace_id_deeper"], "forged");
  expand(line);
});

Deno.test("a bare ECS field-set name goes under labels, so it cannot clash with the ECS object", () => {
  const line = entry({
    host: "127.0.0.1",
    service: "auth",
    event: "join",
    port: 9464,
    labels: { shard: "a" },
    "url.path": "/api/v1/orders",
    "http.response.status_code": 201,
  });
  assert.deepEqual(line.labels, { shard: "a", host: "127.0.0.1", service: "auth", event: "join" });
  assert.equal(line.port, 9464);
  assert.equal(line["url.path"], "/api/v1/orders");
  assert.equal(line["http.response.status_code"], 201);
  assert.equal(line["service.name"], "orders");
  const nested = expand(line) as { service: { name: string }; http: unknown };
  assert.equal(nested.service.name, "orders");
});

Deno.test("an error becomes ECS error.type, error.message and error.stack_trace", () => {
  const cause = new Error("connection refused");
  const error = new TypeError("publish failed", { cause });
  const line = entry({ error, eventId: "e-1" });
  assert.equal(line["error.type"], "TypeError");
  assert.equal(line["error.message"], "publish failed");
  const stack = line["error.stack_trace"] as string;
  assert.match(stack, /^TypeError: publish failed\n\s+at /);
  assert.match(stack, /Caused by: Error: connection refused/);
  assert.ok(!("error" in line));
  assert.equal(line.eventId, "e-1");
  expand(line);

  assert.equal(entry({ error: "smtp said 550" })["error.message"], "smtp said 550");
  assert.equal(entry({ error: { code: 42 } })["error.message"], '{"code":42}');
  assert.equal(entry({ error: 7 })["error.message"], "7");

  // An error under another name keeps that name, described with the same words.
  const other = entry({ reason: new RangeError("too far") });
  assert.deepEqual(
    { ...(other.reason as object), stack_trace: undefined },
    { type: "RangeError", message: "too far", stack_trace: undefined },
  );
});

Deno.test("values JSON cannot hold do not make the logger throw", () => {
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  const line = entry({ big: 10n ** 20n, circular }, { requestId: "r" });
  assert.equal(line.message, "order placed");
  assert.equal(line["http.request.id"], "r");
  assert.equal(line["error.type"], "LogFieldsUnserializable");
  assert.equal(entry({ big: 10n ** 20n }).big, "100000000000000000000");
});

Deno.test("createLogger writes one line per entry, info to stdout and warn/error to stderr, above its level", async () => {
  const code = `
    import { createLogger, runWithContext } from ${JSON.stringify(import.meta.resolve("./log.ts"))};
    const log = createLogger("users", "info");
    log.debug("hidden");
    runWithContext({ requestId: "req-7", traceparent: ${JSON.stringify(VALID)} }, () => {
      log.info("first\\nline", { userId: "u-1" });
      log.warn("careful");
      log.error("broken", { error: new Error("multi\\nline") });
    });
    createLogger("users", "silent").error("never");
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const parse = (text: string) => text.trimEnd().split("\n").map((l) => JSON.parse(l));
  const [info] = parse(stdout);
  assert.equal(stdout.trimEnd().split("\n").length, 1, stdout);
  assert.equal(info.message, "first\nline");
  assert.equal(info["log.level"], "info");
  assert.equal(info.userId, "u-1");
  assert.equal(info["http.request.id"], "req-7");
  assert.equal(info["trace.id"], TRACE);
  const errs = parse(stderr);
  assert.deepEqual(errs.map((l) => [l["log.level"], l.message]), [
    ["warn", "careful"],
    ["error", "broken"],
  ]);
  assert.equal(errs[1]["error.message"], "multi\nline");
  assert.equal(errs[1]["span.id"], SPAN);
});

/** Deep merge, as Filebeat's DeepUpdate merges decoded keys into an event. */
function deepUpdate(into: Record<string, unknown>, from: Record<string, unknown>) {
  for (const [key, value] of Object.entries(from)) {
    const here = into[key];
    if (
      typeof value === "object" && value !== null && !Array.isArray(value) &&
      typeof here === "object" && here !== null && !Array.isArray(here)
    ) {
      deepUpdate(here as Record<string, unknown>, value as Record<string, unknown>);
    } else into[key] = value;
  }
}

Deno.test("the Filebeat config decodes a line into the root of the event, ECS names as they are", async () => {
  const config = parseYaml(
    await Deno.readTextFile(new URL("../infra/filebeat/filebeat.yml", import.meta.url)),
  );
  const [input] = config["filebeat.inputs"];
  const decode = input.processors.find((p: Record<string, unknown>) => p.decode_json_fields)
    .decode_json_fields;
  assert.deepEqual(decode.fields, ["message"]);
  assert.equal(decode.target, "");
  assert.equal(decode.overwrite_keys, true);
  assert.equal(decode.expand_keys, true);
  const [[field, pattern]] = Object.entries(decode.when.regexp) as [string, string][];
  assert.equal(field, "message");

  // A container event as Filebeat reads it, then the decode the config asks for.
  const line = formatEntry("orders", "error", "payout failed", {
    error: new Error("declined"),
    host: "127.0.0.1",
    orderId: "o-1",
  }, { requestId: "req-1", traceparent: VALID });
  assert.match(line, new RegExp(pattern));
  assert.doesNotMatch("Listening on http://0.0.0.0:8000/", new RegExp(pattern));
  const event: Record<string, unknown> = {
    message: line,
    stream: "stderr",
    log: { offset: 10, file: { path: "/var/lib/docker/containers/x/x-json.log" } },
  };
  deepUpdate(event, expand(JSON.parse(event.message as string)));
  const e = event as Record<string, Record<string, unknown>> & Record<string, unknown>;
  assert.equal(e.message, "payout failed");
  assert.deepEqual(e.log, {
    offset: 10,
    file: { path: "/var/lib/docker/containers/x/x-json.log" },
    level: "error",
  });
  assert.deepEqual(e.service, { name: "orders" });
  assert.deepEqual(e.trace, { id: TRACE });
  assert.deepEqual(e.span, { id: SPAN });
  assert.deepEqual(e.http, { request: { id: "req-1" } });
  assert.equal(e.error.type, "Error");
  assert.deepEqual(e.labels, { host: "127.0.0.1" });
  assert.equal(e.orderId, "o-1");
});
