import assert from "node:assert/strict";
import { canonicalIdentity } from "./identity.ts";

Deno.test("canonicalIdentity() gives every spelling of 'victim' the one form 'victim'", () => {
  const spellings = [
    "victim",
    "VICTIM",
    "Victim",
    "vİctim", // U+0130: JavaScript lower-cases it to "i̇", PostgreSQL to "i"
    "victİm",
    "vİctİm",
    "VİCTİM",
    "vi\u0301ctim", // i + combining acute
    "vi\u0307ctim", // what JavaScript's toLowerCase() makes of "vİctim"
    "ｖｉｃｔｉｍ", // full-width
    "ＶＩＣＴＩＭ",
    "  victim  ",
    "\tvictim\n",
    "\u3000victim\u00a0", // ideographic and no-break spaces
    "vic\u200btim", // zero-width space
    "vic\u00adtim", // soft hyphen
  ];
  for (const spelling of spellings) {
    assert.equal(canonicalIdentity(spelling), "victim", JSON.stringify(spelling));
  }
});

Deno.test("canonicalIdentity() folds ß, ẞ and ligatures fully, and leaves ı apart from i", () => {
  assert.equal(canonicalIdentity("straße"), "strasse");
  assert.equal(canonicalIdentity("STRAẞE"), "strasse");
  assert.equal(canonicalIdentity("STRASSE"), "strasse");
  assert.equal(canonicalIdentity("ﬁnn"), "finn"); // U+FB01 ligature
  assert.equal(canonicalIdentity("ﬀ"), "ff");
  assert.equal(canonicalIdentity("\u212aelvin"), "kelvin"); // KELVIN SIGN
  assert.equal(canonicalIdentity("ſam"), "sam"); // long s
  // Dotless ı has no case folding: it is a different letter, not a spelling of i.
  assert.equal(canonicalIdentity("vıctim"), "vıctim");
  assert.notEqual(canonicalIdentity("vıctim"), canonicalIdentity("victim"));
  // Inner white space is kept (no account has any), only the ends are trimmed.
  assert.equal(canonicalIdentity(" a b "), "a b");
});

Deno.test("canonicalIdentity() folds emails the same way, domain included", () => {
  assert.equal(canonicalIdentity("Victim@Example.COM"), "victim@example.com");
  assert.equal(canonicalIdentity("vİctim@example.com"), "victim@example.com");
  assert.equal(canonicalIdentity("ｖｉｃｔｉｍ＠ｅｘａｍｐｌｅ．ｃｏｍ"), "victim@example.com");
  assert.equal(canonicalIdentity(" victim@EXAMPLE.com\n"), "victim@example.com");
});

Deno.test("canonicalIdentity() is idempotent over every code point of the BMP and beyond", () => {
  const broken: string[] = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    if (cp > 0x2ffff && cp < 0xe0000) cp = 0xe0000; // unassigned planes: nothing to fold
    const value = `a${String.fromCodePoint(cp)}b`;
    const once = canonicalIdentity(value);
    if (canonicalIdentity(once) !== once) broken.push(cp.toString(16));
  }
  assert.deepEqual(broken, []);
});

Deno.test("canonicalIdentity() keeps ASCII identities as their lower case", () => {
  // Every account created before the canonical form has an ASCII email and
  // username: for them the canonical form is exactly what lower() gave.
  const ascii = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join("");
  assert.equal(canonicalIdentity(`x${ascii}x`), `x${ascii}x`.toLowerCase());
});
