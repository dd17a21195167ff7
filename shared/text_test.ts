import assert from "node:assert/strict";
import { line, paragraph, textProblem } from "./text.ts";

const BAD_EVERYWHERE = [
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x\udfff",
  "\u0001",
  "\u001b",
  "\u007f",
  "\u0080",
  "\u0085",
  "\u009f",
  "a\rb",
];

Deno.test("textProblem() refuses NUL, lone surrogates, C0, DEL and C1 in any field", () => {
  for (const bad of BAD_EVERYWHERE) {
    assert.ok(textProblem(bad, true), JSON.stringify(bad));
    assert.ok(textProblem(bad, false), JSON.stringify(bad));
  }
});

Deno.test("textProblem() lets newline and tab through in multi-line fields only", () => {
  assert.equal(textProblem("one\ntwo\tthree", true), undefined);
  assert.equal(textProblem("one\r\ntwo", true), undefined);
  assert.ok(textProblem("one\rtwo", true));
  assert.ok(textProblem("one\ntwo", false));
  assert.ok(textProblem("one\ttwo", false));
  // Well-formed text of every plane, paired surrogates included.
  assert.equal(textProblem("Zoë 😀 日本 \u00a0\u200b", false), undefined);
});

Deno.test("line() trims, bounds and refuses control characters inside", () => {
  assert.equal(line(10).parse("  Logo  "), "Logo");
  assert.equal(line(10).safeParse("a\nb").success, false);
  assert.equal(line(10).safeParse("   ").success, false);
  assert.equal(line(3).safeParse("abcd").success, false);
  assert.equal(line(10, 0).parse(""), "");
  for (const bad of BAD_EVERYWHERE) {
    const result = line(10).safeParse(`ok${bad}ok`);
    assert.equal(result.success, false, JSON.stringify(bad));
    // One message about the text, not also about its length.
    assert.equal(result.error!.issues.length, 1);
  }
});

Deno.test("paragraph() keeps newlines and tabs, stores CRLF as LF, refuses other controls", () => {
  assert.equal(paragraph(50).parse(" one\r\n\ttwo \n"), "one\n\ttwo");
  assert.equal(paragraph(50, 0).parse(""), "");
  assert.equal(paragraph(5).safeParse("abcdef").success, false);
  for (const bad of BAD_EVERYWHERE) {
    assert.equal(paragraph(50).safeParse(`ok${bad}ok`).success, false, JSON.stringify(bad));
  }
});
