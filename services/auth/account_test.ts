import assert from "node:assert/strict";
import {
  emailSchema,
  passwordProblem,
  passwordSchema,
  publicUser,
  usernameSchema,
} from "./account.ts";

Deno.test("passwordProblem() refuses the email, its local part and the username, in any case", () => {
  assert.ok(passwordProblem("Alice@Example.com", "alice@example.com", "alice_w"));
  assert.ok(passwordProblem("ALICE", "alice@example.com", "someone"));
  assert.ok(passwordProblem("alice_w", "x@example.com", "Alice_W"));
  assert.equal(passwordProblem("correct horse battery", "alice@example.com", "alice_w"), undefined);
});

Deno.test("passwordSchema requires 8 to 128 characters", () => {
  assert.equal(passwordSchema.safeParse("1234567").success, false);
  assert.equal(passwordSchema.safeParse("12345678").success, true);
  assert.equal(passwordSchema.safeParse("x".repeat(129)).success, false);
});

Deno.test("emailSchema lower-cases and trims; usernameSchema keeps case but limits characters", () => {
  assert.equal(emailSchema.parse("  Alice@Example.COM "), "alice@example.com");
  assert.equal(emailSchema.safeParse("not-an-email").success, false);
  assert.equal(usernameSchema.parse("Alice_1"), "Alice_1");
  for (const bad of ["ab", "1abc", "a b c", "a".repeat(31), "alice!"]) {
    assert.equal(usernameSchema.safeParse(bad).success, false, bad);
  }
});

Deno.test("publicUser() exposes no hash and reports verification as a boolean", () => {
  const user = publicUser({
    id: "u1",
    email: "a@b.co",
    username: "alice",
    password_hash: "$argon2id$secret",
    country: "DE",
    email_verified_at: null,
    created_at: new Date("2026-01-01T00:00:00Z"),
  });
  assert.deepEqual(user, {
    id: "u1",
    email: "a@b.co",
    username: "alice",
    country: "DE",
    emailVerified: false,
    createdAt: "2026-01-01T00:00:00.000Z",
  });
  assert.ok(!JSON.stringify(user).includes("argon2"));
});
