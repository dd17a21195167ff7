/**
 * Walks every route of every service through the gateway with hostile values in
 * every field of its body, query and path: NUL, lone surrogates, C1 controls,
 * 100k-character strings, 1e308, -1, 2^53+1, null, arrays for objects and deep
 * nesting. Routes and fields come from the services' code (service_routes.ts):
 * a route added later is walked without editing this file. Text that breaks the
 * text rule is a 400 naming the field; nothing is ever a 5xx.
 */
import assert from "node:assert/strict";
import { waitFor } from "@mp/shared/testing";
import { gatewayConfigShape } from "../gateway/config.ts";
import { findRoute } from "../gateway/routes.ts";
import {
  BAD_VALUES,
  clip,
  inputSchema,
  pointersOf,
  repaired,
  sample,
  withValueAt,
} from "./bad_values.ts";
import { becomeSeller, gigBody, type Json, publishGig } from "./fixtures.ts";
import { serviceRoutes } from "./service_routes.ts";
import { type Reply, type SignedUp, startMarketplace } from "./support.ts";

// Every per-minute/hour limit of the gateway out of the way (read from its config
// shape, so a limit added later is lifted too): one client address sends every case.
const NO_LIMITS = Object.fromEntries(
  Object.keys(gatewayConfigShape).filter((name) => /_PER_(MINUTE|HOUR|DAY)$/.test(name))
    .map((name) => [name, "1000000"]),
);

const TEXT_CASES = BAD_VALUES.filter((v) => v.text);

function assertProblem(res: Reply, what: string) {
  assert.ok(res.status >= 400 && res.status < 500, `${what}: ${res.status} ${short(res.body)}`);
  assert.equal(res.type, "application/problem+json", what);
  assert.equal(res.body.status, res.status, what);
}

/** A 400 whose field errors name `pointer`. */
function assertNamesField(res: Reply, pointer: string, what: string) {
  assert.equal(res.status, 400, `${what}: ${res.status} ${short(res.body)}`);
  assert.equal(res.type, "application/problem+json", what);
  const pointers = (res.body.errors ?? []).map((e: { pointer: string }) => e.pointer);
  assert.ok(pointers.includes(pointer), `${what}: expected ${pointer} in ${pointers}`);
}

/** Runs an assertion, keeping its failure in `fail` so one run lists every failing case. */
function collect(fail: string[], what: string, assertion: () => void) {
  try {
    assertion();
  } catch (error) {
    fail.push(clip(`${what}: ${(error as Error).message.split("\n")[0]}`, 400));
  }
}

const tryDecode = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

const short = (body: unknown) => clip(JSON.stringify(body) ?? "", 300);

Deno.test({
  name: "every route of every service answers hostile values in every field with a 4xx problem",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const market = await startMarketplace("walk", { env: { gateway: NO_LIMITS } });
    const table = serviceRoutes(market.fleet);
    try {
      const ada = await market.signup("walk_ada"); // seller
      const bob = await market.signup("walk_bob"); // buyer
      await becomeSeller(market, ada);
      const gig = await publishGig(ada, gigBody("Walker logo", 5_000));
      const send = (
        who: SignedUp,
        method: string,
        path: string,
        raw?: string,
      ) =>
        who.client.request(method, path, {
          token: who.accessToken,
          raw,
          // State-changing order and review routes need one; the others ignore it.
          headers: { "idempotency-key": crypto.randomUUID() },
        });

      const placed = await waitFor(async () => {
        const res = await send(
          bob,
          "POST",
          "/api/v1/orders",
          JSON.stringify({
            gigId: gig.id,
            package: "basic",
            requirements: [{ questionId: gig.requirements[0].id, answer: "Walker's Bakery" }],
          }),
        );
        return res.status === 404 ? undefined : res; // until gig.created reached orders
      }, { what: "orders to know the gig" });
      assert.equal(placed.status, 201, short(placed.body));
      const order: Json = placed.body;
      const paid = await send(bob, "POST", `/api/v1/payments/local-test/${order.id}/succeed`);
      assert.equal(paid.status, 200, short(paid.body));

      await t.step("every service route is reachable through the gateway's route table", () => {
        assert.ok(table.routes.length >= 40, `only ${table.routes.length} routes found`);
        for (const route of table.routes) {
          const path = route.path.replace(/:(\w+)/g, "x");
          assert.equal(findRoute(path)?.service, route.service, `${route.method} ${route.path}`);
        }
      });

      await t.step(
        "text PostgreSQL cannot store is a 400 naming the field on the eleven routes that answered 500",
        async () => {
          const packages = gigBody("x", 5_000).packages;
          const cases: [SignedUp, string, string, Json, string][] = [
            [bob, "POST", "/api/v1/auth/login", { login: "BAD", password: "whatever1" }, "/login"],
            [
              bob,
              "POST",
              "/api/v1/auth/login",
              { login: "walk_bob", password: "BAD" },
              "/password",
            ],
            ...[
              ["POST", "/api/v1/gigs", gigBody("Walker two", 5_000)],
              ["PATCH", `/api/v1/gigs/${gig.id}`, {
                packages,
                requirements: [{ question: "Brand?" }],
                faq: [{ question: "Vectors?", answer: "Yes." }],
              }],
            ].flatMap(([method, path, body]: Json[]) =>
              [
                "/packages/0/name",
                "/faq/0/question",
                "/faq/0/answer",
                "/requirements/0/question",
              ].map((pointer): [SignedUp, string, string, Json, string] => [
                ada,
                method,
                path,
                body,
                pointer,
              ])
            ),
            [bob, "POST", "/api/v1/orders", {
              gigId: gig.id,
              package: "basic",
              requirements: [{ questionId: gig.requirements[0].id, answer: "x" }],
            }, "/requirements/0/answer"],
            [bob, "POST", `/api/v1/orders/${order.id}/cancellation-requests`, {
              reason: "x",
            }, "/reason"],
            [bob, "POST", `/api/v1/orders/${order.id}/cancel`, { reason: "x" }, "/reason"],
            [ada, "POST", `/api/v1/orders/${order.id}/extension-requests`, {
              days: 2,
              reason: "x",
            }, "/reason"],
            [ada, "POST", `/api/v1/orders/${order.id}/deliveries`, {
              message: "Here it is.",
              files: ["https://files.example.com/logo.png"],
            }, "/files/0"],
          ];
          const fail: string[] = [];
          for (const [who, method, path, body, pointer] of cases) {
            for (const bad of TEXT_CASES) {
              // Inside a link the bad text sits in the path, where a URL would keep it.
              const json = pointer === "/files/0"
                ? `"https://files.example.com/${bad.json.slice(1, -1)}.png"`
                : bad.json;
              const res = await send(who, method, path, withValueAt(body, pointer, json));
              const what = `${method} ${path} ${pointer} ${bad.name}`;
              collect(fail, what, () => assertNamesField(res, pointer, "body"));
            }
          }
          assert.deepEqual(fail, []);
          // Nothing changed: the gig keeps its packages and the order is still in progress.
          const after = await send(ada, "GET", `/api/v1/gigs/${gig.id}`);
          assert.deepEqual(after.body.gig?.packages ?? after.body.packages, gig.packages);
          const still = await send(bob, "GET", `/api/v1/orders/${order.id}`);
          assert.equal(still.body.status, "in_progress", short(still.body));
        },
      );

      await t.step(
        "delivery file links follow the public-link rule of avatars and gig images",
        async () => {
          const fail: string[] = [];
          for (
            const link of [
              "https://127.0.0.1/a.zip",
              "https://169.254.169.254/latest/meta-data/",
              "https://localhost/a.zip",
              "https://10.0.0.1/a.zip",
              "https://[::127.0.0.1]/a.zip",
              "https://[::ffff:10.0.0.1]/a.zip",
              "https://2130706433/a.zip",
              "https://localhost../a.zip",
            ]
          ) {
            const res = await send(
              ada,
              "POST",
              `/api/v1/orders/${order.id}/deliveries`,
              JSON.stringify({ message: "Here it is.", files: [link] }),
            );
            collect(fail, link, () => assertNamesField(res, "/files/0", "delivery"));
            const avatar = await send(
              ada,
              "PATCH",
              "/api/v1/users/me",
              JSON.stringify({ avatarUrl: link }),
            );
            collect(fail, `avatar ${link}`, () => assertNamesField(avatar, "/avatarUrl", "avatar"));
          }
          assert.deepEqual(fail, []);
          const still = await send(bob, "GET", `/api/v1/orders/${order.id}`);
          assert.equal(still.body.status, "in_progress");
        },
      );

      await t.step("the walk: every route, every field, every hostile value", async () => {
        let cases = 0;
        let refusals = 0; // cases the route's own schema refuses (so a 2xx would fail them)
        let validBaselines = 0;
        let bodyRoutes = 0;
        const fail: string[] = [];
        const check = (what: string, fn: () => void) => collect(fail, what, fn);
        for (const route of table.routes) {
          // Fresh ids: every schema is checked before any lookup, and nothing real is touched.
          const params = (route.path.match(/:\w+/g) ?? []).map((p) => p.slice(1));
          const pathWith = (values: Record<string, string>) =>
            route.path.replace(/:(\w+)/g, (_, name) => values[name]);
          const plain = Object.fromEntries(
            params.map((
              name,
            ) => [name, name === "username" ? "walker_nobody" : crypto.randomUUID()]),
          );
          const path = pathWith(plain);
          const what = `${route.method} ${route.path}`;

          // Path: each parameter.
          for (const name of params) {
            for (const bad of BAD_VALUES) {
              cases++;
              const res = await send(ada, route.method, pathWith({ ...plain, [name]: bad.url }));
              check(`${what} :${name} ${bad.name}`, () => assertProblem(res, "path"));
            }
          }

          // Query: each parameter the schema knows (alone; all are optional).
          const query = route.schemas.query;
          if (query) {
            for (const name of Object.keys(inputSchema(query).properties ?? {})) {
              for (const bad of BAD_VALUES) {
                cases++;
                const url = bad.name === "array for an object"
                  ? `${path}?${name}=a&${name}=b`
                  : `${path}?${encodeURIComponent(name)}=${bad.url}`;
                const res = await send(ada, route.method, url);
                // What the route's own schema says of the value: a refusal must be a 4xx.
                const value = bad.name === "array for an object" ? ["a", "b"] : tryDecode(bad.url);
                const refused = !query.safeParse({ [name]: value }).success;
                if (refused) refusals++;
                check(
                  `${what} ?${name} ${bad.name}`,
                  () =>
                    bad.text
                      ? assertNamesField(res, `#/${name}`, "query")
                      : (refused || res.status >= 400) && assertProblem(res, "query"),
                );
                check(`${what} ?${name} ${bad.name} no 5xx`, () => assert.ok(res.status < 500));
              }
            }
          }

          // Body: the whole body, then each object, array and field in a best-effort valid body.
          const body = route.schemas.json;
          if (!body) continue;
          bodyRoutes++;
          const base = repaired(body, sample(inputSchema(body)));
          if (base.valid) validBaselines++;
          for (const pointer of ["", ...pointersOf(base.value)]) {
            for (const bad of BAD_VALUES) {
              cases++;
              const raw = withValueAt(base.value, pointer, bad.json);
              const res = await send(ada, route.method, path, raw);
              // From a valid baseline, a value the schema refuses must be a 4xx, never a 2xx.
              const refused = base.valid && !body.safeParse(JSON.parse(raw)).success;
              if (refused) refusals++;
              const at = `${what} ${pointer || "(body)"} ${bad.name}`;
              check(
                at,
                () =>
                  bad.text && pointer
                    ? assertNamesField(res, pointer, "body")
                    : (refused || res.status >= 400) && assertProblem(res, "body"),
              );
              check(`${at} no 5xx`, () => assert.ok(res.status < 500, `${res.status}`));
            }
          }
        }
        console.log(
          `walked ${table.routes.length} routes, ${cases} cases (${refusals} refused by schema); ` +
            `${validBaselines} of ${bodyRoutes} bodies had a valid baseline`,
        );
        assert.deepEqual(fail, []);
      });
    } finally {
      await table.close();
      await market.close();
    }
  },
});
