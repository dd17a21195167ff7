import assert from "node:assert/strict";
import { createPasswordHasher } from "./password.ts";

Deno.test("createPasswordHasher() makes argon2id hashes at OWASP parameters that verify only the right password", async () => {
  const hasher = createPasswordHasher(1);
  try {
    const hash = await hasher.hash("correct horse battery");
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(await hasher.verify("correct horse battery", hash), true);
    assert.equal(await hasher.verify("wrong horse battery", hash), false);
    // Same password, new salt: a different hash.
    assert.notEqual(await hasher.hash("correct horse battery"), hash);
  } finally {
    hasher.close();
  }
});
