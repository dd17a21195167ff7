import assert from "node:assert/strict";
import { serverTicks } from "./machine.ts";

// Processes are keyed "pid@starttime", so a reused pid is another process.
const ticks = (entries: Record<string, number>) => new Map(Object.entries(entries));

Deno.test("a server's CPU over a phase counts processes born and ended in it, never below zero", () => {
  // 1@1 runs 5 more ticks, 2@1 is born with 7, 3@1 (40 at the start) ends; pid 4 is
  // reused (4@1 had 10 and ended, 4@9 is born with 2).
  const before = ticks({ "1@1": 10, "3@1": 40, "4@1": 10 });
  const after = ticks({ "1@1": 15, "2@1": 7, "4@9": 2 });
  assert.equal(serverTicks(before, after), 14);
  // The postmaster reaped 60 ticks: 3@1's and 4@1's whole lives (55) and a worker
  // born and gone within the phase (5), so 60 − the 50 they had at the start = 10 more.
  const reaped = { before: ticks({ "0@0": 100 }), after: ticks({ "0@0": 160 }) };
  assert.equal(serverTicks(before, after, reaped), 24);
  // Reaped less than the ended processes had at the start (a counter quirk): no negative part.
  assert.equal(
    serverTicks(before, after, { before: ticks({ "0@0": 100 }), after: ticks({ "0@0": 110 }) }),
    14,
  );
  // A postmaster that restarted within the phase contributes nothing.
  assert.equal(
    serverTicks(before, after, { before: ticks({ "0@0": 100 }), after: ticks({ "0@5": 900 }) }),
    14,
  );
});
