import assert from "node:assert/strict";
import { createPasswordHasher, HasherBusyError } from "./password.ts";

Deno.test("createPasswordHasher() makes argon2id hashes at OWASP parameters that verify only the right password", async () => {
  const hasher = createPasswordHasher({ workers: 1 });
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

Deno.test("a full hash queue refuses new work at once instead of queueing it", async () => {
  const hasher = createPasswordHasher({ workers: 1, queuePerWorker: 2 });
  try {
    // One hashing, two waiting: the fourth is refused.
    const accepted = [1, 2, 3].map((i) => hasher.hash(`password-${i}`));
    await assert.rejects(hasher.hash("one too many"), HasherBusyError);
    assert.equal((await Promise.all(accepted)).length, 3);
    // Once the queue drained, work is accepted again.
    assert.match(await hasher.hash("later"), /^\$argon2id\$/);
  } finally {
    hasher.close();
  }
});

Deno.test("a job whose request was aborted while it waited is dropped unhashed", async () => {
  const hasher = createPasswordHasher({ workers: 1 });
  try {
    const first = hasher.hash("keeps the worker busy");
    const controller = new AbortController();
    const abandoned = hasher.hash("nobody waits for this", controller.signal);
    controller.abort();
    await assert.rejects(abandoned, (error: Error) => error.name === "AbortError");
    assert.match(await first, /^\$argon2id\$/);
  } finally {
    hasher.close();
  }
});
