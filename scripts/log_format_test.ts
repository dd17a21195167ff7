import assert from "node:assert/strict";
import { formatEntry } from "@mp/shared/log";
import { ansi, formatLogLine, plain } from "./log_format.ts";

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

Deno.test("a log line of the shared logger reads as time, level, message and its fields", () => {
  const line = formatEntry("orders", "warn", "payout failed", {
    orderId: "o-1",
    attempts: 3,
    error: "card declined",
  }, { requestId: "req-1", traceparent: TRACEPARENT });
  const at = JSON.parse(line)["@timestamp"] as string;
  const shown = formatLogLine("orders", line, "out", plain);
  assert.equal(
    shown,
    `orders        | ${at.slice(11, 23)} warn  payout failed http.request.id=req-1 ` +
      "trace.id=4bf92f3577b34da6a3ce929d0e0e4736 span.id=00f067aa0ba902b7 " +
      "orderId=o-1 attempts=3 error.message=card declined",
  );
  // The service's name is in the prefix, the ECS version is the same on every line.
  assert.doesNotMatch(shown, /service\.name|ecs\.version|@timestamp|log\.level/);
});

Deno.test("an access log line reads as method, path, status and milliseconds", () => {
  const line = formatEntry("gateway", "info", "request", {
    "http.request.method": "POST",
    "url.path": "/api/v1/orders",
    "http.response.status_code": 201,
    "event.duration": 12_345_678,
  }, { requestId: "req-2" });
  const shown = formatLogLine("gateway", line, "out", plain);
  assert.match(shown, / info {2}POST \/api\/v1\/orders → 201 12\.3 ms http\.request\.id=req-2$/);
  // The status is coloured by class when the console is a terminal.
  const coloured = formatLogLine(
    "gateway",
    line.replace('"http.response.status_code":201', '"http.response.status_code":503'),
    "out",
    ansi,
  );
  assert.ok(coloured.includes("\x1b[31m503\x1b[0m"), JSON.stringify(coloured));
});

Deno.test("anything that is not a log line of the shared logger is printed as it came", () => {
  for (
    const line of [
      "Listening on http://127.0.0.1:8000/",
      "{not json",
      '{"msg":"an old-style line"}',
      '{"message":42}',
      "[1,2]",
    ]
  ) {
    assert.equal(formatLogLine("auth", line, "err", plain), `auth          | ${line}`);
  }
  assert.equal(formatLogLine("auth", "exited 1", "meta", plain), "auth          | exited 1");
});
