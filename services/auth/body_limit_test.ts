/** Auth gets the kit's body limit (it had none): an oversized login is a 413 problem. */
import assert from "node:assert/strict";
import { DEFAULT_MAX_BODY_BYTES } from "@mp/shared/body_limit";
import { authFixture } from "./test_support.ts";

Deno.test("an auth body over the kit's limit is a 413 body_too_large problem", async () => {
  const f = await authFixture();
  try {
    const padding = "x".repeat(DEFAULT_MAX_BODY_BYTES);
    const answer = await f.call("POST", "login", { login: "ada", password: padding });
    assert.equal(answer.status, 413, JSON.stringify(answer.body));
    assert.equal(answer.type, "application/problem+json");
    assert.equal(answer.body.code, "body_too_large");
  } finally {
    await f.close();
  }
});
