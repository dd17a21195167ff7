import assert from "node:assert/strict";
import { waitFor } from "@mp/shared/testing";
import { createPasswordHasher, HasherBusyError, type PasswordHasher } from "./password.ts";

Deno.test("createPasswordHasher() makes argon2id hashes at OWASP parameters that verify only the right password", async () => {
  const hasher = createPasswordHasher({ workers: 1 });
  try {
    const hash = await hasher.hash("correct horse battery");
    assert.match(hash, /^\$argon2id\$v=19\$m=7168,t=5,p=1\$/);
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

Deno.test("new hashes take the default argon2id cost (7 MiB × 5), and hashes made at another cost still verify", async () => {
  // The default before 7 MiB × 5: hashes stored then must keep verifying.
  const old = createPasswordHasher({ workers: 1, argon2: { memoryKiB: 19_456, iterations: 2 } });
  const owasp = createPasswordHasher({ workers: 1 });
  try {
    const before = await old.hash("correct horse battery");
    const after = await owasp.hash("correct horse battery");
    assert.match(after, /^\$argon2id\$v=19\$m=7168,t=5,p=1\$/);
    // A stored hash names its own cost: each pool verifies the other's.
    assert.equal(await owasp.verify("correct horse battery", before), true);
    assert.equal(await old.verify("correct horse battery", after), true);
    assert.equal(await owasp.verify("wrong horse battery", before), false);
  } finally {
    old.close();
    owasp.close();
  }
});

/** Keeps this thread busy (as other requests would) until the governor has throttled to its floor. */
async function blockUntilThrottled(hasher: PasswordHasher, floor: number) {
  for (let i = 0; hasher.state().duty > floor; i++) {
    assert.ok(i < 100, `never throttled: duty ${hasher.state().duty}`);
    const until = performance.now() + 60;
    while (performance.now() < until) { /* the rest of the process, busy */ }
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

Deno.test("the pool throttles hashing while the event loop is delayed, then refuses what it cannot start within maxWaitMs, and recovers when calm", async () => {
  const governor = { maxDuty: 0.5, minDuty: 0.05, lagLimitMs: 10, periodMs: 100 };
  const hasher = createPasswordHasher({ workers: 1, maxWaitMs: 1_000, governor });
  try {
    // Times one hash, so the pool's estimate of queued work is real.
    await hasher.hash("warm-up");
    // (Starting the worker itself may delay the loop; the duty settles at its cap.)
    await waitFor(() => hasher.state().duty === 0.5, { what: "duty at 50 %" });
    await blockUntilThrottled(hasher, 0.05);
    // At 5 % a hash of tens of ms owes the better part of a second of rest: a
    // burst of ten gets few places, the others are refused with a retry delay.
    const burst = Array.from({ length: 10 }, (_, i) =>
      hasher.hash(`password-${i}`).then(
        () => "hashed",
        (error) => {
          assert.ok(error instanceof HasherBusyError);
          assert.ok(Number.isInteger(error.retryAfterSeconds) && error.retryAfterSeconds >= 1);
          return "refused";
        },
      ));
    const outcomes = await Promise.all(burst);
    assert.ok(outcomes.includes("hashed"), String(outcomes));
    assert.ok(outcomes.includes("refused"), String(outcomes));
    // Calm again: the duty climbs back to its cap.
    await waitFor(() => hasher.state().duty === 0.5, { what: "duty back at 50 %" });
    assert.match(await hasher.hash("later"), /^\$argon2id\$/);
  } finally {
    hasher.close();
  }
});

Deno.test("while throttled to its floor, a few sign-ins at once all wait their turn instead of being refused", async () => {
  const governor = { maxDuty: 0.5, minDuty: 0.05, lagLimitMs: 10, periodMs: 100 };
  const hasher = createPasswordHasher({ workers: 1, maxWaitMs: 1_000, governor });
  try {
    await hasher.hash("warm-up");
    await waitFor(() => hasher.state().duty === 0.5, { what: "duty at 50 %" });
    await blockUntilThrottled(hasher, 0.05);
    // Four at once: the time estimate alone (a second of rest per hash) let in one.
    const hashes = await Promise.all(Array.from({ length: 4 }, (_, i) => hasher.hash(`p-${i}`)));
    for (const hash of hashes) assert.match(hash, /^\$argon2id\$/);
  } finally {
    hasher.close();
  }
});
