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
