/**
 * `deno task seed` against the real fleet (every process under its real flags,
 * scripts/fleet.ts) and the real dev mail catcher, through the gateway only
 * (users, sellers, gigs, and the inbox: conversations, messages, offers):
 * a run stopped by the signup rate limit says which variable to raise, the next
 * run completes what is missing, a third creates nothing, and a second prefix
 * gets the very same gigs (the data is deterministic).
 */
import assert from "node:assert/strict";
import amqp from "amqplib";
import { Redis } from "ioredis";
import { dropDatabases, startFleet } from "./fleet.ts";
import { startMailCatcher } from "./mail_catcher.ts";
import { seed, type SeedOptions, type SeedSummary } from "./seed.ts";
import { type ConversationPlan, planConversation } from "./seed_chat.ts";
import { SeedError } from "./seed_client.ts";
import {
  gigCountOf,
  planBuyer,
  planSeller,
  planSellerGigs,
  type Taxonomy,
  usernameOf,
} from "./seed_data.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const SIZE = { buyers: 5, sellers: 3, gigs: 12 };
const REDIS_URL = Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379";

Deno.test({
  name: "the seed fills the fleet through the gateway, resumes after a refusal, reruns as a no-op",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const id = crypto.randomUUID().slice(0, 8);
    const databasePrefix = `seed_${id}`;
    const exchange = `seed.${id}`;
    const rateLimitPrefix = `rl:${databasePrefix}:`;
    const realtimePrefix = `rt:${databasePrefix}:`;
    const catcher = await startMailCatcher({ smtpPort: 0, httpPort: 0 });
    let fleet: Awaited<ReturnType<typeof startFleet>> | undefined;
    try {
      fleet = await startFleet({
        ports: "free",
        smtpUrl: catcher.smtpUrl,
        exchange,
        databasePrefix,
        logLevel: "warn",
        env: {
          gateway: {
            RATE_LIMIT_PREFIX: rateLimitPrefix,
            RATE_LIMIT_PER_MINUTE: "100000",
            LOGIN_IP_LIMIT_PER_MINUTE: "100000",
            // Below the 8 accounts of one run, so the first run meets the limit.
            SIGNUP_LIMIT_PER_HOUR: "6",
          },
          gigs: { GIGS_REDIS_PREFIX: `gigs:${databasePrefix}:` },
          // The realtime edge's keys and chat's reading of its presence, apart from other fleets.
          realtime: { REDIS_PREFIX: realtimePrefix },
          chat: { CHAT_PRESENCE_KEY_PREFIX: `${realtimePrefix}realtime:online:` },
          // The seed orders nothing; orders only has to start (no Stripe keys here).
          orders: { PAYMENTS_MODE: "local_test" },
        },
      });
      const gateway = fleet.gatewayUrl;
      const options: SeedOptions = {
        gateway,
        mailApi: `${catcher.webUrl}/api/mails`,
        ...SIZE,
        concurrency: 4,
      };
      const get = async (path: string) => {
        const res = await fetch(`${gateway}${path}`);
        return { status: res.status, body: await res.json() as Json };
      };
      const taxonomy: Taxonomy = (await get("/api/v1/gigs/categories")).body;
      // The gigs each seller should have, by their card in search: title and starting price.
      const planned = (prefix: string) =>
        Array.from({ length: SIZE.sellers }, (_, s) => {
          const seller = planSeller(prefix, s, taxonomy);
          return planSellerGigs(seller, SIZE.sellers, SIZE.gigs, taxonomy).map((g) => ({
            title: g.body.title,
            startingPrice: g.body.packages[0].price,
          })).sort(byTitle);
        });
      const live = async (prefix: string) => {
        const gigs = [];
        for (let s = 0; s < SIZE.sellers; s++) {
          const username = usernameOf(prefix, "seller", s);
          const result = await get(`/api/v1/gigs?seller=${username}&limit=50`);
          assert.equal(result.status, 200);
          assert.equal(result.body.total, gigCountOf(s, SIZE.sellers, SIZE.gigs), username);
          gigs.push(
            result.body.items.map((card: Json) => ({
              title: card.title,
              startingPrice: card.startingPrice,
            })).sort(byTitle),
          );
        }
        return gigs;
      };
      const openSignups = () => deleteKeys(`${rateLimitPrefix}signup-ip:`);
      /** What each demo user sees in their inbox, signed in through the gateway. */
      const inbox = async (prefix: string) => {
        const seen = [];
        const users = [
          ...Array.from({ length: SIZE.buyers }, (_, b) => usernameOf(prefix, "buyer", b)),
          ...Array.from({ length: SIZE.sellers }, (_, s) => usernameOf(prefix, "seller", s)),
        ];
        for (const login of users) {
          const res = await fetch(`${gateway}/api/v1/auth/login`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ login, password: "demo-password" }),
          });
          const { accessToken } = await res.json();
          const auth = { headers: { authorization: `Bearer ${accessToken}` } };
          const list = await (await fetch(`${gateway}/api/v1/conversations`, auth)).json();
          const conversations = [];
          for (const conversation of list.items) {
            const page = await (await fetch(
              `${gateway}/api/v1/conversations/${conversation.id}/messages`,
              auth,
            )).json();
            const offerMessage = page.items.find((m: Json) => m.kind === "offer");
            const offer = offerMessage &&
              (await (await fetch(`${gateway}/api/v1/offers/${offerMessage.offerId}`, auth))
                .json()).offer;
            conversations.push({
              with: conversation.otherParty.username,
              unread: conversation.unreadCount,
              messages: page.items.map((m: Json) => m.kind === "offer" ? "offer" : m.body),
              offer: offer && {
                status: offer.status,
                price: offer.price,
                gigId: offer.gigId === page.items[0].gigId,
              },
            });
          }
          seen.push({ login, conversations: conversations.sort(byWith) });
        }
        return seen;
      };
      /** The same, from the plan: buyer i with seller i mod 3. */
      const plannedInbox = (prefix: string) => {
        const sellers = Array.from({ length: SIZE.sellers }, (_, s) => {
          const plan = planSeller(prefix, s, taxonomy);
          return { plan, gigs: planSellerGigs(plan, SIZE.sellers, SIZE.gigs, taxonomy) };
        });
        const plans = Array.from(
          { length: SIZE.buyers },
          (_, b) => planConversation(b, planBuyer(prefix, b), sellers),
        );
        const seenBy = (plan: ConversationPlan, side: "buyer" | "seller") => ({
          with: side === "buyer" ? plan.seller.username : plan.buyer.username,
          // The other side's messages are unread: the seed reads nothing.
          unread: plan.messages.filter((m) => m.from !== side).length + (side === "buyer" ? 1 : 0),
          messages: [...plan.messages.map((m) => m.body), "offer"],
          offer: { status: "pending", price: plan.offer.price, gigId: true },
        });
        return [
          ...plans.map((plan) => ({
            login: plan.buyer.username,
            conversations: [seenBy(plan, "buyer")],
          })),
          ...sellers.map(({ plan: seller }) => ({
            login: seller.username,
            conversations: plans.filter((p) => p.seller.username === seller.username)
              .map((p) => seenBy(p, "seller")).sort(byWith),
          })),
        ];
      };

      await t.step("a run the signup limit stops names the variable that raises it", async () => {
        await assert.rejects(
          seed({ ...options, maxWaitSeconds: 5 }),
          (error: Error) => {
            assert.ok(error instanceof SeedError, String(error.stack));
            assert.match(error.message, /"signup-ip" rate limit/);
            assert.match(error.message, /SIGNUP_LIMIT_PER_HOUR=/);
            return true;
          },
        );
      });

      let second: SeedSummary;
      await t.step("the next run completes what is missing, visible through the API", async () => {
        await openSignups(); // the window of the limit ends
        second = await seed(options);
        assert.deepEqual(totals(second), { buyers: 5, sellers: 3, gigs: 12 });
        assert.equal(second.sellers.created + second.sellers.existing, 3);
        assert.deepEqual(await live("seed"), planned("seed"));
        for (let b = 0; b < SIZE.buyers; b++) {
          const plan = planBuyer("seed", b);
          const profile = await get(`/api/v1/users/${plan.username}`);
          assert.equal(profile.status, 200, plan.username);
          assert.equal(profile.body.displayName, plan.profile.displayName);
          assert.equal(profile.body.country, plan.profile.country);
          assert.equal(profile.body.isSeller, false);
        }
        for (let s = 0; s < SIZE.sellers; s++) {
          const plan = planSeller("seed", s, taxonomy);
          const seller = await get(`/api/v1/sellers/${plan.username}`);
          assert.equal(seller.status, 200, plan.username);
          assert.deepEqual(seller.body.seller.skills, plan.seller.skills);
          assert.equal(seller.body.displayName, plan.profile.displayName);
        }
        const search = await get("/api/v1/gigs?limit=1");
        assert.equal(search.body.total, SIZE.gigs);
        // The inbox: one conversation per buyer (5), four messages and an offer each.
        assert.deepEqual(chatTotals(second), { conversations: 5, messages: 25, offers: 5 });
        assert.deepEqual(await inbox("seed"), plannedInbox("seed"));
      });

      await t.step("a rerun creates nothing and changes nothing", async () => {
        const third = await seed(options);
        assert.deepEqual(created(third), { buyers: 0, sellers: 0, gigs: 0 });
        assert.deepEqual(totals(third), { buyers: 5, sellers: 3, gigs: 12 });
        assert.equal((await get("/api/v1/gigs?limit=1")).body.total, SIZE.gigs);
        assert.deepEqual(await live("seed"), planned("seed"));
        assert.deepEqual(chatCreated(third), { conversations: 0, messages: 0, offers: 0 });
        assert.deepEqual(chatTotals(third), { conversations: 5, messages: 25, offers: 5 });
        assert.deepEqual(await inbox("seed"), plannedInbox("seed"));
      });

      await t.step("another run with another prefix publishes the very same gigs", async () => {
        await openSignups();
        const other = await seed({ ...options, prefix: "again", buyers: 0 });
        assert.deepEqual(created(other), { buyers: 0, sellers: 3, gigs: 12 });
        assert.deepEqual(chatTotals(other), { conversations: 0, messages: 0, offers: 0 });
        assert.deepEqual(await live("again"), await live("seed"));
        assert.equal((await get("/api/v1/gigs?limit=1")).body.total, 2 * SIZE.gigs);
      });
    } catch (error) {
      for (const name of fleet?.names ?? []) {
        console.error(`--- ${name} ---\n${fleet!.logs(name).slice(-3000)}`);
      }
      throw error;
    } finally {
      await fleet?.stop();
      await catcher.close();
      await deleteBrokerObjects(exchange);
      await dropDatabases({ prefix: databasePrefix });
      await deleteKeys(rateLimitPrefix);
      await deleteKeys(`gigs:${databasePrefix}:`);
      await deleteKeys(realtimePrefix);
    }
  },
});

function byTitle(a: { title: string }, b: { title: string }) {
  return a.title < b.title ? -1 : a.title > b.title ? 1 : 0;
}

function byWith(a: { with: string }, b: { with: string }) {
  return a.with < b.with ? -1 : a.with > b.with ? 1 : 0;
}

function chatTotals(summary: SeedSummary) {
  const sum = (c: { created: number; existing: number }) => c.created + c.existing;
  return {
    conversations: sum(summary.conversations),
    messages: sum(summary.messages),
    offers: sum(summary.offers),
  };
}

function chatCreated(summary: SeedSummary) {
  return {
    conversations: summary.conversations.created,
    messages: summary.messages.created,
    offers: summary.offers.created,
  };
}

function totals(summary: SeedSummary) {
  const sum = (c: { created: number; existing: number }) => c.created + c.existing;
  return { buyers: sum(summary.buyers), sellers: sum(summary.sellers), gigs: sum(summary.gigs) };
}

function created(summary: SeedSummary) {
  return {
    buyers: summary.buyers.created,
    sellers: summary.sellers.created,
    gigs: summary.gigs.created,
  };
}

async function deleteKeys(prefix: string) {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

// Every service's queue and dead-letter queue, and the exchanges (as e2e/support.ts does).
async function deleteBrokerObjects(exchange: string) {
  const conn = await amqp.connect(Deno.env.get("AMQP_URL") ?? "amqp://guest:guest@127.0.0.1:5672");
  try {
    const ch = await conn.createChannel();
    ch.on("error", () => {});
    for (
      const service of [
        "auth",
        "users",
        "gigs",
        "reviews",
        "notifications",
        "orders",
        "chat",
        "realtime",
      ]
    ) {
      await ch.deleteQueue(`${exchange}.${service}`).catch(() => {});
      await ch.deleteQueue(`${exchange}.${service}.dlq`).catch(() => {});
    }
    await ch.deleteExchange(exchange).catch(() => {});
    await ch.deleteExchange(`${exchange}.dlx`).catch(() => {});
  } finally {
    await conn.close().catch(() => {});
  }
}
