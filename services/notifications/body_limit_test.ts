/** Notifications gets the kit's body limit (it had none): an oversized body is a 413 problem. */
import assert from "node:assert/strict";
import { DEFAULT_MAX_BODY_BYTES } from "@mp/shared/body_limit";
import { createTokenVerifier } from "@mp/shared/jwt";
import { createTestKeys, quietLogger } from "@mp/shared/testing";
import { createApp } from "./app.ts";
import { migratedDatabase } from "./test_support.ts";

Deno.test("a notifications body over the kit's limit is a 413 body_too_large problem", async () => {
  const db = await migratedDatabase("notif_body");
  try {
    const keys = await createTestKeys();
    const verifier = createTokenVerifier({
      jwks: keys.jwks,
      issuer: keys.issuer,
      audience: keys.audience,
    });
    const { app } = createApp({
      sql: db.sql,
      verifier,
      log: quietLogger(),
      bus: { isConnected: () => true },
    });
    const token = await keys.sign({ sub: crypto.randomUUID(), username: "ada" });
    const response = await app.request("/api/v1/notifications/read-all", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ padding: "x".repeat(DEFAULT_MAX_BODY_BYTES) }),
    });
    assert.equal(response.status, 413);
    assert.equal(response.headers.get("content-type"), "application/problem+json");
    assert.equal((await response.json()).code, "body_too_large");
  } finally {
    await db.drop();
  }
});
