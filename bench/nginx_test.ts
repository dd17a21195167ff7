import assert from "node:assert/strict";
import { parseWrk, runWrk, startBareProxy, startNginx } from "./nginx.ts";

const SAMPLE = `Running 1s test @ http://127.0.0.1:18777/
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   465.98us    1.13ms  13.18ms   89.85%
    Req/Sec    20.53k     7.81k   33.83k    60.00%
  Latency Distribution
     50%   50.00us
     75%  104.00us
     90%    1.63ms
     99%    5.06ms
  20351 requests in 1.00s, 2.27MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  20292.80
Transfer/sec:      2.26MB
`;

Deno.test("wrk's latency distribution, rate and errors are read in milliseconds", () => {
  assert.deepEqual(parseWrk(SAMPLE), {
    requestsPerSecond: 20292.8,
    p50: 0.05,
    p99: 5.06,
    errors: 7,
  });
  assert.throws(() => parseWrk("unable to connect"), /Requests/);
});

Deno.test("nginx and the bare Deno proxy pass path and headers to an upstream, and wrk measures", async () => {
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) =>
      Response.json({
        path: new URL(request.url).pathname,
        authorization: request.headers.get("authorization"),
      }),
  );
  const nginx = await startNginx(`http://127.0.0.1:${upstream.addr.port}`);
  const bare = await startBareProxy(`http://127.0.0.1:${upstream.addr.port}`);
  try {
    for (const proxy of [nginx, bare]) {
      const response = await fetch(`${proxy.url}/api/v1/auth/me`, {
        headers: { authorization: "Bearer t" },
      });
      assert.deepEqual(await response.json(), {
        path: "/api/v1/auth/me",
        authorization: "Bearer t",
      });
    }
    const measured = await runWrk(`${nginx.url}/x`, { connections: 2, seconds: 1 });
    assert.ok(measured.requestsPerSecond > 0);
    assert.equal(measured.errors, 0);
  } finally {
    await nginx.close();
    await bare.close();
    await upstream.shutdown();
  }
});
