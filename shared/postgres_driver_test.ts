/**
 * Why vendor/postgres exists, shown on a real PostgreSQL: the same fault scenario
 * (testdata/terminate_under_load.ts, its own process with a service's narrow flags) run against
 * the registry's npm:postgres 3.4.9 and against the vendored, patched copy. The scenario only
 * terminates backends of its own test database.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { connectDb, POSTGRES_DRIVER_ENV } from "./db.ts";
import { isConnectionLoss } from "./db_errors.ts";
import { adminUrl, freshDatabase } from "./testing/database.ts";
import { passThrough } from "./testing/process.ts";

const NULL_WRITE = "Cannot read properties of null (reading 'write')";

interface Outcome {
  code: number;
  stderr: string;
  report?: {
    ok: number;
    codes: Record<string, number>;
    uncaught: string[];
    hung: number;
    recoveredMs: number;
  };
}

async function runScenario(driver: "patched" | "unpatched", survive = false): Promise<Outcome> {
  const db = await freshDatabase("pg_driver");
  try {
    const { hostname, port } = new URL(db.url);
    const command = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        `--allow-net=${hostname}:${port || 5432}`,
        `--allow-env=${POSTGRES_DRIVER_ENV.join(",")}`,
        new URL("./testdata/terminate_under_load.ts", import.meta.url).pathname,
        driver,
        db.url,
        "4",
        ...(survive ? ["survive"] : []),
      ],
      clearEnv: true,
      env: { NO_COLOR: "1", ...passThrough(["HOME", "PATH", "DENO_DIR", "DENO_TLS_CA_STORE"]) },
      stdout: "piped",
      stderr: "piped",
    });
    const { code, stdout, stderr } = await command.output();
    const lastLine = new TextDecoder().decode(stdout).trim().split("\n").at(-1);
    return {
      code,
      stderr: new TextDecoder().decode(stderr),
      report: lastLine ? JSON.parse(lastLine) : undefined,
    };
  } finally {
    await db.drop();
  }
}

Deno.test("npm:postgres 3.4.9 from the registry dies of terminated backends under load", async () => {
  // A race: it usually crashes within a second with the null write. A busy machine may need
  // another run, and a run can die first of another unhandled rejection (a PostgresError
  // "terminating connection" with no query to reject), which is a crash too but not this bug.
  const isNullWrite = (stderr: string) => stderr.includes(NULL_WRITE);
  let outcome = await runScenario("unpatched");
  for (let run = 2; run <= 5 && !isNullWrite(outcome.stderr); run++) {
    outcome = await runScenario("unpatched");
  }
  const { code, stderr } = outcome;
  assert.notEqual(code, 0, "the unpatched driver was expected to crash the process (5 runs)");
  assert.match(stderr, /Uncaught TypeError: Cannot read properties of null \(reading 'write'\)/);
  assert.match(stderr, /nextWrite/);
});

Deno.test("npm:postgres 3.4.9 kept alive past that crash leaves its pool unable to serve for over 2 s", async () => {
  // The same race as above: a run may see only the other unhandled rejection (a
  // "terminating connection" PostgresError) before the null write; run it again then.
  const hitNullWrite = (outcome: Outcome) => outcome.report?.uncaught.includes(NULL_WRITE);
  let outcome = await runScenario("unpatched", true);
  for (let run = 2; run <= 5 && !hitNullWrite(outcome); run++) {
    outcome = await runScenario("unpatched", true);
  }
  const { code, report } = outcome;
  assert.equal(code, 0);
  assert.ok(report);
  assert.ok(report.uncaught.includes(NULL_WRITE), `uncaught: ${report.uncaught.join(" | ")}`);
  assert.ok(
    report.recoveredMs === null || report.recoveredMs > 2000,
    `expected a poisoned pool, it served again after ${report.recoveredMs} ms`,
  );
});

Deno.test("the vendored driver survives the same faults and its pool serves again within 2 s", async () => {
  const { code, stderr, report } = await runScenario("patched");
  assert.equal(code, 0, stderr);
  assert.ok(report);
  assert.deepEqual(report.uncaught, []);
  assert.equal(report.hung, 0, "queries never settled");
  assert.ok(report.ok > 0, "no transaction succeeded between the terminations");
  assert.ok(report.recoveredMs !== null && report.recoveredMs <= 2000, `${report.recoveredMs} ms`);
  // The faults did happen: transactions failed with lost connections, and no query hung.
  assert.ok(Object.keys(report.codes).length > 0);
});

Deno.test("the vendored driver settles a query sent while a reset connection closes, and its pool serves on", async () => {
  const db = await freshDatabase("pg_reset");
  const target = new URL(db.url);
  // A relay in front of PostgreSQL that can reset (RST) the driver's side of a connection.
  const accepted: net.Socket[] = [];
  const relay = net.createServer((client) => {
    accepted.push(client);
    const server = net.connect(Number(target.port || 5432), target.hostname);
    client.pipe(server).pipe(client);
    client.on("error", () => server.destroy());
    server.on("error", () => client.destroy());
    client.on("close", () => server.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  const url = new URL(db.url);
  url.port = String((relay.address() as net.AddressInfo).port);
  const sql = connectDb(url.toString(), { max: 1 });
  try {
    await sql`select 1`;
    // The reset reaches the driver as 'error' (ECONNRESET), then 'close' a tick later; a query
    // issued in between is queued on the dying connection.
    let late: Promise<unknown> | undefined;
    const first = sql`select pg_sleep(1)`.catch((e) => {
      late = sql`select 2 as two`.then(() => "answered", (e) => e);
      return e;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    (accepted.at(-1) as net.Socket & { resetAndDestroy(): void }).resetAndDestroy();
    assert.ok(isConnectionLoss(await first));
    assert.ok(late);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const settled = await Promise.race([
      late,
      new Promise((resolve) => timer = setTimeout(() => resolve("hung"), 3000)),
    ]);
    clearTimeout(timer);
    assert.notEqual(settled, "hung", "the query queued on the reset connection never settled");
    const [{ three }] = await sql<{ three: number }[]>`select 3 as three`;
    assert.equal(three, 3);
  } finally {
    await sql.end({ timeout: 1 });
    await new Promise((resolve) => relay.close(resolve));
    for (const socket of accepted) socket.destroy();
    await db.drop();
  }
});

Deno.test("the vendored driver rejects at once a query on a reserved connection whose backend died", async () => {
  const db = await freshDatabase("pg_reserved");
  const admin = connectDb(adminUrl(), { max: 1 });
  const sql = connectDb(db.url, { max: 2 });
  try {
    const reserved = await sql.reserve();
    const [{ pid }] = await reserved<{ pid: number }[]>`select pg_backend_pid() as pid`;
    await admin`select pg_terminate_backend(${pid})`;
    assert.ok(isConnectionLoss(await reserved`select 1`.then(() => null, (e) => e)));
    await new Promise((resolve) => setTimeout(resolve, 100)); // the socket is gone by now
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = await Promise.race([
      reserved`select 2`.then(() => "answered", (e) => e),
      new Promise((resolve) => timer = setTimeout(() => resolve("hung"), 3000)),
    ]);
    clearTimeout(timer);
    assert.ok(isConnectionLoss(late), String(late));
    // release() hands the dead connection back as open (upstream, not patched: we never reserve);
    // the first query on it fails at once with a lost connection, which begin() retries.
    reserved.release();
    assert.equal(await sql.begin((tx) => tx`select 3 as three`.then(([row]) => row.three)), 3);
  } finally {
    await sql.end({ timeout: 1 });
    await admin.end({ timeout: 1 });
    await db.drop();
  }
});
