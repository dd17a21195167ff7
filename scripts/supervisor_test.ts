import assert from "node:assert/strict";
import { waitFor } from "@mp/shared/testing";
import { freePort } from "./ports.ts";
import { restartDelay, type RestartPolicy } from "./restart_policy.ts";
import { ManagedProcess } from "./supervisor.ts";

const CHILD = new URL("./testdata/restartable_child.ts", import.meta.url).pathname;

function child(policy: RestartPolicy, port?: number): ManagedProcess {
  const env: Record<string, string> = { NO_COLOR: "1", HOME: Deno.env.get("HOME") ?? "/tmp" };
  if (port) env.CHILD_PORT = String(port);
  return new ManagedProcess(
    {
      name: "child",
      args: ["run", "--allow-net=127.0.0.1", "--allow-env=CHILD_PORT", CHILD],
      env,
      cwd: Deno.cwd(),
      readyUrl: `http://127.0.0.1:${port ?? 1}/readyz`,
    },
    { kind: "memory" },
    policy,
  );
}

/** The delays of the "restarting in N ms (attempt K)" lines, in order. */
function restartLines(logs: string): { delay: number; attempt: number; why: string }[] {
  return [
    ...logs.matchAll(
      /exited unexpectedly \((.+?)\) after .*?; restarting in (\d+) ms \(attempt (\d+)\)/g,
    ),
  ]
    .map((m) => ({ why: m[1], delay: Number(m[2]), attempt: Number(m[3]) }));
}

Deno.test("restartDelay() doubles from initialMs up to maxMs and takes a random half off", () => {
  const policy = { initialMs: 500, maxMs: 30_000, resetAfterMs: 30_000 };
  assert.deepEqual([0, 1, 2, 3, 6, 7, 50].map((n) => restartDelay(policy, n, 0.999999)), [
    500,
    1_000,
    2_000,
    4_000,
    30_000,
    30_000,
    30_000,
  ]);
  assert.deepEqual([0, 1, 2, 7].map((n) => restartDelay(policy, n, 0)), [250, 500, 1_000, 15_000]);
  for (let i = 0; i < 100; i++) {
    const delay = restartDelay(policy, 2);
    assert.ok(delay >= 1_000 && delay <= 2_000, String(delay));
  }
});

Deno.test("a supervised child killed with SIGKILL comes back, the log says why, and a long run resets the backoff", async () => {
  const port = freePort();
  // resetAfterMs is short, so each kill below follows a run long enough to reset the backoff.
  const process = child({ initialMs: 200, maxMs: 2_000, resetAfterMs: 300 }, port);
  process.spawn();
  try {
    await process.waitReady(20_000);
    for (let round = 1; round <= 2; round++) {
      await new Promise((resolve) => setTimeout(resolve, 400));
      const before = process.pid!;
      Deno.kill(before, "SIGKILL");
      await waitFor(() => process.restarts === round, { timeoutMs: 10_000, what: "a restart" });
      await process.waitReady(20_000);
      assert.notEqual(process.pid, before);
      assert.equal(await (await fetch(`http://127.0.0.1:${port}/readyz`)).text(), "ready");
    }
    await waitFor(() => (process.logs().match(/is ready again/g) ?? []).length === 2, {
      what: "two 'ready again' lines",
    });
    const lines = restartLines(process.logs());
    assert.deepEqual(lines.map((l) => [l.why, l.attempt]), [
      ["signal SIGKILL", 1],
      ["signal SIGKILL", 1],
    ]);
    for (const { delay } of lines) assert.ok(delay >= 100 && delay <= 200, String(delay));
  } finally {
    await process.stop(5_000);
  }
  // Stopped on purpose: no restart follows.
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(process.running, false);
  assert.equal(process.restarts, 2);
  assert.doesNotMatch(process.logs().split("exited with").at(-1)!, /exited unexpectedly/);
});

Deno.test("a child that keeps crashing is restarted with growing, capped delays until stop()", async () => {
  const process = child({ initialMs: 100, maxMs: 400, resetAfterMs: 60_000 });
  process.spawn();
  try {
    await waitFor(() => process.restarts >= 4, { timeoutMs: 30_000, what: "four restarts" });
  } finally {
    await process.stop(5_000);
  }
  const restarts = process.restarts;
  await new Promise((resolve) => setTimeout(resolve, 600));
  assert.equal(process.restarts, restarts, "no restart after stop()");
  const lines = restartLines(process.logs()).slice(0, 4);
  assert.deepEqual(lines.map((l) => [l.why, l.attempt]), [
    ["code 3", 1],
    ["code 3", 2],
    ["code 3", 3],
    ["code 3", 4],
  ]);
  const bounds = [[50, 100], [100, 200], [200, 400], [200, 400]];
  lines.forEach(({ delay }, i) => {
    assert.ok(delay >= bounds[i][0] && delay <= bounds[i][1], `restart ${i + 1}: ${delay} ms`);
  });
  assert.match(process.logs(), /crashing on purpose/);
});
