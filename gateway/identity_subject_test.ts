import assert from "node:assert/strict";
import { identitySubject } from "./rate_limit.ts";

Deno.test("identitySubject() gives every spelling that reaches one account the same counter", async () => {
  const victim = await identitySubject("victim");
  for (
    const spelling of [
      "VICTIM",
      " victim ",
      "vİctim", // JavaScript's toLowerCase() made this "vi̇ctim": a counter of its own
      "victİm",
      "vİctİm",
      "vi\u0301ctim",
      "ｖｉｃｔｉｍ",
      "vic\u200btim",
    ]
  ) {
    assert.equal(await identitySubject(spelling), victim, JSON.stringify(spelling));
  }
  const email = await identitySubject("victim@example.com");
  for (
    const spelling of [
      "vİctim@example.com",
      "VİCTİM@EXAMPLE.COM",
      "ｖｉｃｔｉｍ＠ｅｘａｍｐｌｅ．ｃｏｍ",
    ]
  ) {
    assert.equal(await identitySubject(spelling), email, spelling);
  }
  assert.equal(await identitySubject("straße"), await identitySubject("STRASSE"));
  assert.equal(await identitySubject("ﬁnn"), await identitySubject("FINN"));
});

Deno.test("identitySubject() keeps distinct accounts apart and stores no address in clear", async () => {
  // Dotless ı is another letter: "vıctim" cannot sign in as "victim", so it is another subject.
  assert.notEqual(await identitySubject("vıctim"), await identitySubject("victim"));
  assert.notEqual(await identitySubject("victim"), await identitySubject("victim2"));
  const subject = await identitySubject("victim@example.com");
  assert.match(subject, /^[0-9a-f]{64}$/);
  assert.ok(!subject.includes("victim"));
});

Deno.test("identitySubject() does not fold what cannot be an account (over 512 characters once trimmed)", async () => {
  // Auth refuses a login or email over 254 characters; folding a 1 MiB one took
  // the gateway seconds before auth said so. Such values are hashed as they are.
  assert.notEqual(await identitySubject("A".repeat(600)), await identitySubject("a".repeat(600)));
  assert.match(await identitySubject("ｖİ".repeat(500_000)), /^[0-9a-f]{64}$/);
  // Spaces around a short login still fold as usual, however many there are.
  assert.equal(
    await identitySubject(" ".repeat(100_000) + "VİCTIM\t"),
    await identitySubject("victim"),
  );
});
