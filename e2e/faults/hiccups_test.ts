/**
 * Issue 9's "must hold", on the real fleet under a steady load of order
 * journeys and reads through the gateway (steady_load.ts):
 * - each service's PostgreSQL connections terminated (`pg_terminate_backend`,
 *   this fleet's databases only): no crash, recovery within 2 s, no 500;
 * - orders and notifications killed with SIGKILL and started again by the
 *   supervisor's restart policy (as `deno task dev` does);
 * - a POST retried with the same Idempotency-Key across such a fault gets the
 *   first answer;
 * - every acknowledged change present exactly once, and every mail repeat
 *   within the at-least-once edge (same Message-ID).
 *
 * Nothing here stops PostgreSQL, RabbitMQ or Redis: only this fleet's
 * connections and processes are hit.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { waitFor } from "@mp/shared/testing";
import type { ProcessName, RestartPolicy } from "../../scripts/fleet.ts";
import type { SignedUp } from "../support.ts";
import { startMarketplace } from "../support.ts";
import { checkExactlyOnce, type LoadWorld, prepareWorld, SteadyLoad } from "./steady_load.ts";

// The policy of `deno task dev`, faster, so a test waits less.
const RESTART: RestartPolicy = { initialMs: 200, maxMs: 2_000, resetAfterMs: 5_000 };
// The bound for a service to serve again after its connections were terminated.
const RECOVERY_MS = 2_000;
const DATABASE_SERVICES: ProcessName[] = [
  "auth",
  "users",
  "gigs",
  "orders",
  "reviews",
  "notifications",
  "chat",
];

function adminSql() {
  const env = (name: string, fallback: string) => Deno.env.get(name) || fallback;
  return postgres({
    host: env("PGHOST", "127.0.0.1"),
    port: Number(env("PGPORT", "5432")),
    user: env("PGUSER", "postgres"),
    password: Deno.env.get("PGPASSWORD"),
    database: "postgres",
    max: 1,
    onnotice: () => {},
  });
}

/** A request that needs the service's database, through the gateway. */
function probeOf(service: ProcessName, world: LoadWorld): [SignedUp, string] {
  const buyer = world.buyers[0];
  switch (service) {
    case "auth":
      return [buyer, "/api/v1/auth/me"];
    case "users":
      return [buyer, "/api/v1/users/me"];
    case "gigs":
      return [world.seller, "/api/v1/gigs/mine"];
    case "orders":
      return [buyer, "/api/v1/orders?role=buyer"];
    case "reviews":
      return [buyer, `/api/v1/users/${world.seller.user.username}/reviews?as=seller`];
    case "chat":
      return [buyer, "/api/v1/conversations/unread-count"];
    default:
      return [buyer, "/api/v1/notifications"];
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test({
  name:
    "under a steady load, terminated database connections and services killed -9 (restarted by the supervisor) cause no crash, no 500, and lose or double nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const market = await startMarketplace("hiccups", {
      restart: RESTART,
      env: { gateway: { SIGNUP_LIMIT_PER_HOUR: "1000" } },
    });
    const { fleet } = market;
    const admin = adminSql();
    let load: SteadyLoad | undefined;
    try {
      const world = await prepareWorld(market, 3);
      load = new SteadyLoad(world, { journeysPerSecond: 1, readsPerSecond: 5 });
      load.start();
      await sleep(3_000);

      for (const service of DATABASE_SERVICES) {
        await t.step(
          `${service}: its connections terminated, it serves again within 2 s`,
          async () => {
            const pid = fleet.pid(service);
            const database = new URL(fleet.databaseUrls[service]!).pathname.slice(1);
            const [{ n }] = await admin`
            select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
            where datname = ${database} and pid <> pg_backend_pid()`;
            const at = Date.now();
            assert.ok(n > 0, `no connection of ${database} to terminate`);
            const [who, path] = probeOf(service, world);
            const answers: number[] = [];
            await waitFor(async () => {
              const { status } = await who.client.request("GET", path, { token: who.accessToken });
              answers.push(status);
              return status === 200;
            }, { timeoutMs: 15_000, intervalMs: 50, what: `${service} to answer ${path}` });
            const recoveredMs = Date.now() - at;
            const what = `${service} served again after ${recoveredMs} ms; answers ${answers}`;
            assert.ok(!answers.includes(500) && recoveredMs <= RECOVERY_MS, what);
            assert.equal(fleet.pid(service), pid, `${service} is the same process`);
            assert.equal(fleet.restarts(service), 0);
            await sleep(1_000);
          },
        );
      }

      await t.step(
        "a POST retried with the same Idempotency-Key across a fault gets the first answer",
        async () => {
          // A buyer of its own, so the load's exactly-once check does not count this order.
          const buyer = await market.signup(`retrier_${crypto.randomUUID().slice(0, 6)}`);
          const seller = world.seller;
          const call = (who: SignedUp, path: string, key: string, body?: unknown) =>
            who.client.request("POST", path, {
              token: who.accessToken,
              body,
              headers: { "idempotency-key": key },
            });
          const orderBody = {
            gigId: world.gig.id,
            package: "basic",
            requirements: [{ questionId: world.gig.questionId, answer: "Retry Ltd" }],
          };
          const placeKey = crypto.randomUUID();
          const placed = await call(buyer, "/api/v1/orders", placeKey, orderBody);
          assert.equal(placed.status, 201, JSON.stringify(placed.body));
          const id = placed.body.id;
          const paid = await call(
            buyer,
            `/api/v1/payments/local-test/${id}/succeed`,
            crypto.randomUUID(),
          );
          assert.equal(paid.status, 200);
          const deliverKey = crypto.randomUUID();
          const delivered = await call(seller, `/api/v1/orders/${id}/deliveries`, deliverKey, {
            message: "Once",
          });
          assert.equal(delivered.status, 201);
          const acceptKey = crypto.randomUUID();
          const accepted = await call(buyer, `/api/v1/orders/${id}/accept`, acceptKey);
          assert.equal(accepted.status, 200);

          // The fault: orders killed and restarted by the supervisor, then its connections terminated.
          const restarts = fleet.restarts("orders");
          Deno.kill(fleet.pid("orders")!, "SIGKILL");
          await waitFor(() => fleet.restarts("orders") > restarts && fleet.pid("orders"), {
            what: "orders restarted",
          });
          await waitFor(
            async () => (await fetch(`${fleet.urlOf("orders")}/readyz`)).status === 200,
            {
              what: "orders ready",
              timeoutMs: 30_000,
            },
          );
          await admin`select pg_terminate_backend(pid) from pg_stat_activity
          where datname = ${new URL(fleet.databaseUrls.orders!).pathname.slice(1)}`;

          const retry = async (label: string, send: () => ReturnType<typeof call>) => {
            // A retry may meet the fault's tail (503); a client retries that too.
            const reply = await waitFor(async () => {
              const r = await send();
              return [502, 503, 504].includes(r.status) ? undefined : r;
            }, { what: label });
            return reply;
          };
          const placedAgain = await retry(
            "place again",
            () => call(buyer, "/api/v1/orders", placeKey, orderBody),
          );
          assert.deepEqual([placedAgain.status, placedAgain.body.id], [201, id], "place");
          const deliveredAgain = await retry(
            "deliver again",
            () => call(seller, `/api/v1/orders/${id}/deliveries`, deliverKey, { message: "Once" }),
          );
          assert.deepEqual(
            [deliveredAgain.status, deliveredAgain.body],
            [201, delivered.body],
            "deliver",
          );
          const acceptedAgain = await retry(
            "accept again",
            () => call(buyer, `/api/v1/orders/${id}/accept`, acceptKey),
          );
          assert.deepEqual(
            [acceptedAgain.status, acceptedAgain.body],
            [200, accepted.body],
            "accept",
          );

          // Reviews: the first answer again after reviews was killed and restarted.
          const reviewKey = crypto.randomUUID();
          const review = await waitFor(async () => {
            const r = await call(buyer, `/api/v1/orders/${id}/reviews`, reviewKey, {
              rating: 4,
              comment: "Once only.",
            });
            return r.status === 409 && r.body.code === "order_not_completed" ? undefined : r;
          }, { what: "reviews to learn the completion" });
          assert.equal(review.status, 201, JSON.stringify(review.body));
          const reviewRestarts = fleet.restarts("reviews");
          Deno.kill(fleet.pid("reviews")!, "SIGKILL");
          await waitFor(() => fleet.restarts("reviews") > reviewRestarts && fleet.pid("reviews"), {
            what: "reviews restarted",
          });
          const reviewAgain = await retry(
            "review again",
            () =>
              call(buyer, `/api/v1/orders/${id}/reviews`, reviewKey, {
                rating: 4,
                comment: "Once only.",
              }),
          );
          assert.deepEqual([reviewAgain.status, reviewAgain.body], [201, review.body], "review");
        },
      );

      await t.step(
        "orders and notifications killed -9 come back by the supervisor, which logs why",
        async () => {
          for (const service of ["orders", "notifications"] as const) {
            const before = fleet.pid(service)!;
            const restarts = fleet.restarts(service);
            Deno.kill(before, "SIGKILL");
            await waitFor(() => fleet.restarts(service) === restarts + 1, {
              what: `${service} restarted`,
            });
            await waitFor(
              async () => (await fetch(`${fleet.urlOf(service)}/readyz`)).status === 200,
              { what: `${service} ready`, timeoutMs: 30_000 },
            );
            assert.notEqual(fleet.pid(service), before);
            assert.match(
              fleet.logs(service),
              /exited unexpectedly \(signal SIGKILL\) after [\d.]+ s; restarting in \d+ ms/,
            );
            await sleep(2_000);
          }
        },
      );

      await t.step("no 500, and every acknowledged change is stored exactly once", async () => {
        await sleep(2_000);
        await load!.stop();
        const summary = load!.summary();
        console.log("load answers:", JSON.stringify(summary));
        const problems = await checkExactlyOnce(
          { orders: fleet.databaseUrls.orders!, reviews: fleet.databaseUrls.reviews! },
          load!,
        );
        const serverErrors = load!.serverErrors.map((e) => `${e.route} ${e.status}`);
        assert.deepEqual({ serverErrors, problems }, { serverErrors: [], problems: [] });
        const finished = load!.journeys.filter((j) => j.reviewId).length;
        assert.ok(finished >= 10, `only ${finished} journeys finished: ${JSON.stringify(summary)}`);
      });

      await t.step(
        "mail: every paid order's receipt arrives; repeats carry the same Message-ID",
        async () => {
          const paid = load!.journeys.filter((j) => j.paid).map((j) => j.orderId!);
          const mails = market.smtp.mails;
          // A mail that notifications had claimed when it was killed -9 comes due again when
          // its lease ends (2 minutes, services/notifications/README.md): one deadline past it.
          const deadline = Date.now() + 150_000;
          for (const id of paid) {
            await waitFor(
              () => mails.some((m) => /payment received/i.test(m.subject) && m.text.includes(id)),
              { what: `the receipt of ${id}`, timeoutMs: Math.max(1_000, deadline - Date.now()) },
            );
          }
          // One Message-ID per (recipient, subject, order); a repeat is the same mail again.
          const ids = new Map<string, Set<string>>();
          for (const mail of mails) {
            const order = mail.text.match(/\/orders\/([0-9a-f-]{36})/)?.[1] ?? "-";
            const what = `${mail.to.join(",")} ${mail.subject} ${order}`;
            ids.set(what, (ids.get(what) ?? new Set()).add(mail.messageId));
          }
          const split = [...ids].filter(([, set]) => set.size > 1);
          assert.deepEqual(split, [], "the same mail went out under two Message-IDs");
          const repeats = mails.length - new Set(mails.map((m) => m.messageId)).size;
          console.log(`mail: ${mails.length} received, ${repeats} repeats (same Message-ID)`);
        },
      );
    } catch (error) {
      for (const name of fleet.names) {
        console.error(`--- ${name} ---\n${fleet.logs(name).slice(-3000)}`);
      }
      throw error;
    } finally {
      await load?.stop();
      if (load) console.log("load answers:", JSON.stringify(load.summary()));
      await admin.end();
      await market.close();
    }
  },
});
