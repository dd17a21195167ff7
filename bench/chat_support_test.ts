import assert from "node:assert/strict";
import { FifoMatcher, perSocketKiB } from "./chat_support.ts";

Deno.test("FifoMatcher: arrivals take the oldest send under their key, keys apart", () => {
  const matcher = new FifoMatcher<number>();
  matcher.expect("a", 1);
  matcher.expect("b", 2);
  matcher.expect("a", 3);
  assert.equal(matcher.waiting, 3);
  assert.equal(matcher.arrive("a"), 1);
  assert.equal(matcher.arrive("b"), 2);
  assert.equal(matcher.arrive("b"), undefined); // nobody expected it
  assert.equal(matcher.waiting, 1);
  assert.equal(matcher.arrive("a"), 3);
  assert.equal(matcher.arrive("a"), undefined);
  assert.equal(matcher.waiting, 0);
});

Deno.test("perSocketKiB: growth divided by the sockets, a tenth of a KiB; NaN without sockets", () => {
  assert.equal(perSocketKiB(100_000, 400_000, 5_000), 60);
  assert.equal(perSocketKiB(1_000, 1_333, 10), 33.3);
  assert.equal(perSocketKiB(2_000, 1_000, 100), -10);
  assert.ok(Number.isNaN(perSocketKiB(1, 2, 0)));
});
