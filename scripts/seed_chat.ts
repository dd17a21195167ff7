/**
 * The seed's inbox: conversations between demo buyers and sellers, a few
 * messages each way, and a custom offer from the seller on one of their gigs,
 * all through the gateway as the two users would write them.
 *
 * Buyer i talks to seller i mod sellers (sellers with at least one gig), about
 * that seller's first gig. Everything is derived from the indexes, so a rerun
 * asks for the same data and creates nothing: the conversation of a pair is
 * answered 200, a message whose `clientId` was used is answered 200, and an
 * offer is made only when the conversation has none. Conversations are
 * private, so this part signs the pairs in (log in only, never a signup).
 */
import {
  describe,
  type GatewayClient,
  type Reply,
  SeedError,
  Session,
  sleep,
} from "./seed_client.ts";
import type { AccountPlan, GigPlan, SellerPlan } from "./seed_data.ts";
import type { Count } from "./seed_progress.ts";

/** One conversation to seed. */
export interface ConversationPlan {
  index: number;
  buyer: AccountPlan;
  seller: SellerPlan;
  /** The seller's gig the conversation is about (its first). */
  gig: GigPlan;
  /** In order; `clientId` makes each one a single message however often the seed runs. */
  messages: { from: "buyer" | "seller"; clientId: string; body: string }[];
  offer: {
    description: string;
    price: { amount: number; currency: string };
    deliveryDays: number;
    revisions: number;
    expiresInDays: number;
  };
}

const PROJECTS = [
  "my bakery",
  "a podcast about city gardens",
  "our family law practice",
  "a small yoga studio",
  "an indie board game",
  "a neighbourhood bike repair shop",
  "my photography portfolio",
  "a vegan food truck",
];

/**
 * The conversation of buyer `index` with seller `index mod sellers.length`.
 * `sellers[s]` comes with that seller's gigs; sellers without gigs are left out.
 */
export function planConversation(
  index: number,
  buyer: AccountPlan,
  sellers: { plan: SellerPlan; gigs: GigPlan[] }[],
): ConversationPlan {
  const withGigs = sellers.filter((s) => s.gigs.length > 0);
  if (withGigs.length === 0) throw new SeedError("conversations need a seller with a gig");
  const { plan: seller, gigs } = withGigs[index % withGigs.length];
  const gig = gigs[0];
  const basic = gig.body.packages[0];
  const project = PROJECTS[index % PROJECTS.length];
  const buyerName = buyer.profile.displayName.split(" ")[0];
  const id = (n: number) => `seed-${buyer.username}-${n}`;
  return {
    index,
    buyer,
    seller,
    gig,
    messages: [
      {
        from: "buyer",
        clientId: id(1),
        body: `Hi ${seller.firstName}! I found your gig "${gig.body.title}". ` +
          `Could you help with ${project}?`,
      },
      {
        from: "seller",
        clientId: id(2),
        body: `Hello ${buyerName}, thanks for reaching out! Happy to help with ${project}. ` +
          "What is your deadline, and do you have examples you like?",
      },
      {
        from: "buyer",
        clientId: id(3),
        body: "In about two weeks. I'll send a few examples, but I'd need a bit more than " +
          "the basic package.",
      },
      {
        from: "seller",
        clientId: id(4),
        body: "No problem: I'll send you a custom offer that covers it.",
      },
    ],
    offer: {
      description: `Custom work for ${project}: everything in "${basic.name}" plus one more ` +
        "round of changes and the source files.",
      price: {
        amount: Math.round(basic.price.amount * 1.5),
        currency: basic.price.currency,
      },
      deliveryDays: Math.min(basic.deliveryDays + 2, 90),
      revisions: Math.min(basic.revisions + 1, 20),
      expiresInDays: 14,
    },
  };
}

/** What the inbox part of a run did. */
export interface ChatCounts {
  conversations: Count;
  messages: Count;
  offers: Count;
}

/** What seeding a conversation needs. */
export interface ChatContext {
  client: GatewayClient;
  password: string;
  /** How long to wait for chat to learn users and gigs from events. */
  settleMs: number;
  counts: ChatCounts;
  /** Signed-in users by username (each signs in once per run). */
  sessions: Map<string, Promise<Session>>;
}

/** Counters for `ChatContext.counts`. */
export function chatCounts(conversations: number): ChatCounts {
  return {
    conversations: { created: 0, existing: 0, total: conversations },
    messages: { created: 0, existing: 0, total: conversations * 5 },
    offers: { created: 0, existing: 0, total: conversations },
  };
}

/** Creates what is missing of one planned conversation. */
export async function seedConversation(ctx: ChatContext, plan: ConversationPlan): Promise<void> {
  const [buyer, seller] = await Promise.all([
    signIn(ctx, plan.buyer),
    signIn(ctx, plan.seller),
  ]);
  const gigId = await gigIdOf(ctx, plan.seller.username, plan.gig.body.title);
  const started = await settle(
    ctx,
    `conversation of ${plan.buyer.username} with ${plan.seller.username}`,
    () =>
      buyer.send("POST", "/api/v1/conversations", {
        body: { recipient: plan.seller.username, gigId },
      }),
    // chat has not learned the seller (user.registered) or the gig (gig.created) yet.
    (r) => r.status === 404 || (r.status === 422 && r.body?.code === "unknown_gig"),
  );
  if (started.status !== 201 && started.status !== 200) {
    throw new SeedError(describe("POST", "/api/v1/conversations", started, plan.buyer.username));
  }
  ctx.counts.conversations[started.status === 201 ? "created" : "existing"]++;
  const conversationId: string = started.body.conversation.id;
  const path = `/api/v1/conversations/${conversationId}`;

  for (const [n, message] of plan.messages.entries()) {
    const author = message.from === "buyer" ? buyer : seller;
    // A repeated clientId answers the first message: safe to send again.
    const res = await author.send("POST", `${path}/messages`, {
      // The first message carries the gig as its context.
      body: { clientId: message.clientId, body: message.body, ...(n === 0 ? { gigId } : {}) },
    });
    if (res.status !== 201 && res.status !== 200) {
      throw new SeedError(describe("POST", `${path}/messages`, res, author.login));
    }
    ctx.counts.messages[res.status === 201 ? "created" : "existing"]++;
  }

  const page = await seller.send("GET", `${path}/messages?limit=100`);
  if (page.status !== 200) throw new SeedError(describe("GET", `${path}/messages`, page));
  // deno-lint-ignore no-explicit-any
  if (page.body.items.some((m: any) => m.kind === "offer")) {
    ctx.counts.offers.existing++;
    ctx.counts.messages.existing++;
    return;
  }
  const offered = await settle(
    ctx,
    `offer of ${plan.seller.username}`,
    () =>
      seller.send("POST", `${path}/offers`, {
        body: { gigId, ...plan.offer },
        // Not safe to repeat: a lost answer may have made the offer (a rerun finds it).
        idempotent: false,
      }),
    (r) => r.status === 404 && r.body?.code === "gig_not_found", // gig.created not in chat yet
  );
  if (offered.status !== 201) {
    throw new SeedError(describe("POST", `${path}/offers`, offered, plan.seller.username));
  }
  ctx.counts.offers.created++;
  ctx.counts.messages.created++; // the offer shows as a message
}

function signIn(ctx: ChatContext, plan: AccountPlan): Promise<Session> {
  let session = ctx.sessions.get(plan.username);
  if (!session) {
    session = Session.logIn(ctx.client, plan.username, ctx.password);
    ctx.sessions.set(plan.username, session);
  }
  return session;
}

/** The id of the seller's gig with this title, from public search. */
async function gigIdOf(ctx: ChatContext, username: string, title: string): Promise<string> {
  for (let page = 1; page <= 200; page++) {
    const path = `/api/v1/gigs?seller=${encodeURIComponent(username)}&limit=50&page=${page}`;
    const res = await ctx.client.send("GET", path);
    if (res.status !== 200) throw new SeedError(describe("GET", path, res));
    // deno-lint-ignore no-explicit-any
    const card = res.body.items.find((c: any) => c.title === title);
    if (card) return card.id;
    if (res.body.items.length < 50) break;
  }
  throw new SeedError(`the gig "${title}" of ${username} is not in search`);
}

async function settle(
  ctx: ChatContext,
  what: string,
  attempt: () => Promise<Reply>,
  notYet: (res: Reply) => boolean,
): Promise<Reply> {
  const deadline = Date.now() + ctx.settleMs;
  for (let pause = 50;; pause = Math.min(pause * 2, 1000)) {
    const res = await attempt();
    if (!notYet(res)) return res;
    if (Date.now() > deadline) {
      throw new SeedError(
        `${what}: still "${res.body?.code ?? res.status}" after ${ctx.settleMs / 1000} s; ` +
          "is chat consuming its events? (check the fleet's logs)",
      );
    }
    await sleep(pause);
  }
}
