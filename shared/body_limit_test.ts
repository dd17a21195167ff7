/**
 * The kit's body limit (createServiceApp): 413 `body_too_large` past the limit,
 * whether the body says its length or streams it; a body within it reaches the
 * route whole; an exact path may be given a larger limit.
 */
import assert from "node:assert/strict";
import { DEFAULT_MAX_BODY_BYTES } from "./body_limit.ts";
import { createServiceApp } from "./http.ts";
import { PROBLEM_CONTENT_TYPE } from "./problem.ts";
import { quietLogger } from "./testing/mod.ts";

function echoApp(options: { maxBodyBytes?: number; largerBodies?: Record<string, number> } = {}) {
  const { app } = createServiceApp({ log: quietLogger(), ...options });
  app.post("/api/*", async (c) => c.json({ length: (await c.req.text()).length }));
  return app;
}

const streamOf = (bytes: number) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      // Two chunks, so the limit is crossed while reading, not from a header.
      controller.enqueue(new Uint8Array(Math.ceil(bytes / 2)).fill(97));
      controller.enqueue(new Uint8Array(Math.floor(bytes / 2)).fill(97));
      controller.close();
    },
  });

async function assertTooLarge(response: Response, max: number) {
  assert.equal(response.status, 413);
  assert.equal(response.headers.get("content-type"), PROBLEM_CONTENT_TYPE);
  const body = await response.json();
  assert.equal(body.code, "body_too_large");
  assert.match(body.detail, new RegExp(`${max} bytes`));
}

Deno.test("createServiceApp refuses a body over the default limit with 413, with or without Content-Length", async () => {
  const app = echoApp();
  const over = "a".repeat(DEFAULT_MAX_BODY_BYTES + 1);
  await assertTooLarge(
    await app.request("/api/x", { method: "POST", body: over }),
    DEFAULT_MAX_BODY_BYTES,
  );
  await assertTooLarge(
    await app.request("/api/x", { method: "POST", body: streamOf(DEFAULT_MAX_BODY_BYTES + 1) }),
    DEFAULT_MAX_BODY_BYTES,
  );
  const within = await app.request("/api/x", {
    method: "POST",
    body: streamOf(DEFAULT_MAX_BODY_BYTES),
  });
  assert.equal(within.status, 200);
  assert.deepEqual(await within.json(), { length: DEFAULT_MAX_BODY_BYTES });
});

Deno.test("createServiceApp takes a service's own limit and a larger one for an exact path", async () => {
  const app = echoApp({ maxBodyBytes: 100, largerBodies: { "/api/hook": 1_000 } });
  await assertTooLarge(await app.request("/api/x", { method: "POST", body: "a".repeat(101) }), 100);
  assert.equal(
    (await app.request("/api/hook", { method: "POST", body: "a".repeat(1_000) })).status,
    200,
  );
  await assertTooLarge(
    await app.request("/api/hook", { method: "POST", body: "a".repeat(1_001) }),
    1_000,
  );
  // Only the exact path: a path below it has the normal limit.
  await assertTooLarge(
    await app.request("/api/hook/x", { method: "POST", body: "a".repeat(101) }),
    100,
  );
});
