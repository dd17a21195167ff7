/**
 * `deno task seed`: fills a running fleet with realistic demo data through the
 * gateway, as a client would: buyers, sellers (email verified from the dev
 * mail catcher, seller profile) and their gigs; then conversations between
 * buyers and sellers, with messages both ways and a custom offer from the
 * seller (seed_chat.ts).
 *
 * Pictures are real files: avatars (initials on a colour of the person's own) and gig pictures
 * (shapes and the subcategory) are generated here (seed_images.ts) and uploaded as a browser
 * would: `POST /api/v1/uploads`, a PUT of the bytes to the presigned URL (the object store, not
 * the gateway), `complete`; then the profile takes `avatarMediaId` and the gig `imageMediaIds`.
 * Only the first `--pictures` accounts and gigs (default 500) get them; the others keep links,
 * so a benchmark-sized seed is not slowed down by uploads.
 *
 * Every account and gig is generated from its index with a fixed faker seed
 * (seed_data.ts), so every run asks for the same data, and the seed is
 * idempotent: a signup answered 409 logs in instead, an existing seller profile
 * is fine, and only gigs whose titles the seller does not have yet are
 * published. A rerun of a complete seed reads (public profiles and one search
 * per seller) and signs in only the users of the conversations (conversations
 * are private), which then answer 200 for what exists.
 *
 *   deno task seed                         50 buyers, 20 sellers, 100 gigs, 10 conversations
 *   deno task seed -- --gigs 100000        gigs over gigs/20 sellers, for benchmarks
 *   deno task seed -- --help
 */
import { parseArgs } from "node:util";
import { describe, GatewayClient, type Reply, SeedError, Session, sleep } from "./seed_client.ts";
import {
  type AccountPlan,
  type GigPlan,
  IMAGE_HOST,
  planBuyer,
  planSeller,
  planSellerGigs,
  type ProfileBody,
  type SellerPlan,
  type Taxonomy,
  usernameOf,
} from "./seed_data.ts";
import { type ChatContext, chatCounts, planConversation, seedConversation } from "./seed_chat.ts";
import { MailLinks } from "./seed_mail.ts";
import { WorkQueue } from "./seed_pool.ts";
import { avatarCanvas, encodePng, gigCanvas } from "./seed_images.ts";
import { type Count, Progress, type ProgressMode } from "./seed_progress.ts";

/** Options of `seed`. */
export interface SeedOptions {
  /** The gateway's base URL. */
  gateway: string;
  /** The mail catcher's JSON list of mails (`GET /api/mails`), for verification links. */
  mailApi: string;
  /** Buyers to create. */
  buyers: number;
  /** Sellers to create. Default: 20, or one per 20 gigs beyond 400 gigs. */
  sellers?: number;
  /** Gigs to publish, dealt round-robin over the sellers. */
  gigs: number;
  /**
   * Conversations, buyer i with seller i mod sellers (those with gigs): messages
   * both ways and a custom offer. Default: 10, at most one per buyer.
   */
  conversations?: number;
  /**
   * Accounts and gigs (by index) that get generated, uploaded pictures; the others keep the
   * plan's links. Default 500.
   */
  pictures?: number;
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
  /** Password of every seeded account. Default `demo-password`. */
  password?: string;
  /** Usernames are `<prefix>_buyer_0001`, `<prefix>_seller_0001`. Default `seed`. */
  prefix?: string;
  /** Longest 429 `Retry-After` to wait for before giving up. Default 120 s. */
  maxWaitSeconds?: number;
  /** How long to wait for the fleet's events to catch up (profile, verification, seller). Default 120 s. */
  settleSeconds?: number;
  /** Progress output. Default "none". */
  progress?: ProgressMode;
  /** Where progress lines and notes go. Default console.log. */
  write?: (line: string) => void;
  /** Aborting stops the seed after the requests in flight. */
  signal?: AbortSignal;
}

/** What a run did. */
export interface SeedSummary {
  buyers: Count;
  sellers: Count;
  gigs: Count;
  conversations: Count;
  /** Messages, the offers' own messages included. */
  messages: Count;
  offers: Count;
  seconds: number;
  /** Gigs published by this run per second of the run. */
  gigsPerSecond: number;
}

/** Defaults of the command line. */
export const DEFAULTS = {
  buyers: 50,
  gigs: 100,
  concurrency: 8,
  password: "demo-password",
  prefix: "seed",
  maxWaitSeconds: 120,
  conversations: 10,
  pictures: 500,
} as const;

/** Sellers for `gigs` gigs when not given: 20, or one per 20 gigs (5,000 for 100,000). */
export function defaultSellers(gigs: number): number {
  return Math.max(20, Math.ceil(gigs / 20));
}

/** Fills the fleet behind `options.gateway` with the demo data; safe to run again. */
export async function seed(options: SeedOptions): Promise<SeedSummary> {
  const sellers = options.sellers ?? defaultSellers(options.gigs);
  const prefix = options.prefix ?? DEFAULTS.prefix;
  const password = options.password ?? DEFAULTS.password;
  const settleMs = (options.settleSeconds ?? 120) * 1000;
  if (options.gigs > 0 && sellers < 1) throw new SeedError("gigs need at least one seller");
  if (!/^[A-Za-z][A-Za-z0-9_]{0,13}$/.test(prefix)) {
    throw new SeedError(
      "--prefix must be 1–14 letters, digits or underscores, starting with a letter",
    );
  }

  const progress = new Progress(options.progress ?? "none", options.write ?? console.log);
  progress.buyers.total = options.buyers;
  progress.sellers.total = sellers;
  progress.gigs.total = options.gigs;
  let rateLimitNoted = false;
  const client = new GatewayClient({
    baseUrl: options.gateway,
    maxWaitMs: (options.maxWaitSeconds ?? DEFAULTS.maxWaitSeconds) * 1000,
    onWait(event) {
      if (event.kind === "retry") {
        progress.retries++;
        return;
      }
      progress.rateLimitWaits++;
      if (!rateLimitNoted) {
        rateLimitNoted = true;
        progress.note(
          `The gateway's "${event.detail}" rate limit asks to wait ${
            Math.ceil(event.ms / 1000)
          } s; waiting (start the fleet with higher limits to avoid this, see README "Demo data").`,
        );
      }
    },
  });
  const mails = new MailLinks(options.mailApi);
  const taxonomy = await loadTaxonomy(client);
  const queue = new WorkQueue(options.concurrency ?? DEFAULTS.concurrency, options.signal);
  const pictures = options.pictures ?? DEFAULTS.pictures;
  const ctx: Context = { client, mails, taxonomy, progress, queue, password, settleMs, pictures };

  // Sellers first: their gigs are most of the work, and each one's setup unlocks its gigs.
  // Plans are made when a task starts, so a large seed starts at once and holds little.
  for (let index = 0; index < sellers; index++) {
    queue.add(() => {
      const plan = planSeller(prefix, index, taxonomy);
      return seedSeller(ctx, plan, planSellerGigs(plan, sellers, options.gigs, taxonomy));
    });
  }
  for (let index = 0; index < options.buyers; index++) {
    queue.add(() => seedBuyer(ctx, planBuyer(prefix, index)));
  }
  progress.start();
  // Each conversation is about a gig: none without gigs.
  const conversations = options.gigs > 0 && sellers > 0
    ? Math.min(options.conversations ?? DEFAULTS.conversations, options.buyers)
    : 0;
  const chat: ChatContext = {
    client,
    password,
    settleMs,
    counts: chatCounts(conversations),
    sessions: new Map(),
  };
  try {
    await queue.run();
    // Then the inbox, once every seller has their gigs.
    if (conversations > 0) {
      const withGigs = Array.from({ length: Math.min(sellers, options.gigs) }, (_, s) => {
        const plan = planSeller(prefix, s, taxonomy);
        return { plan, gigs: planSellerGigs(plan, sellers, options.gigs, taxonomy).slice(0, 1) };
      });
      const talks = new WorkQueue(options.concurrency ?? DEFAULTS.concurrency, options.signal);
      for (let index = 0; index < conversations; index++) {
        talks.add(() =>
          seedConversation(chat, planConversation(index, planBuyer(prefix, index), withGigs))
        );
      }
      await talks.run();
    }
  } finally {
    progress.stop();
  }
  const seconds = progress.seconds;
  return {
    buyers: { ...progress.buyers },
    sellers: { ...progress.sellers },
    gigs: { ...progress.gigs },
    conversations: { ...chat.counts.conversations },
    messages: { ...chat.counts.messages },
    offers: { ...chat.counts.offers },
    seconds,
    gigsPerSecond: progress.gigs.created / seconds,
  };
}

interface Context {
  client: GatewayClient;
  mails: MailLinks;
  taxonomy: Taxonomy;
  progress: Progress;
  queue: WorkQueue;
  password: string;
  settleMs: number;
  /** Accounts and gigs below this index get uploaded pictures. */
  pictures: number;
}

async function loadTaxonomy(client: GatewayClient): Promise<Taxonomy> {
  // The first request: if nothing answers, say so soon rather than after every backoff.
  const res = await client.send("GET", "/api/v1/gigs/categories", { retries: 2 });
  if (res.status !== 200) throw new SeedError(describe("GET", "/api/v1/gigs/categories", res));
  const categories = (res.body as Taxonomy).categories
    .filter((c) => c.subcategories.length > 0)
    .map((c) => ({
      slug: c.slug,
      name: c.name,
      subcategories: c.subcategories.map((s) => ({ slug: s.slug, name: s.name })),
    }));
  if (categories.length === 0) throw new SeedError("the gigs service lists no categories");
  return { categories };
}

async function seedBuyer(ctx: Context, plan: AccountPlan) {
  const found = await publicProfile(ctx, plan.username);
  if (found && profileMatches(ctx, found, plan)) {
    ctx.progress.buyers.existing++;
    return;
  }
  const { session, created } = await signIn(ctx, plan);
  await updateProfile(ctx, session, plan);
  ctx.progress.buyers[created ? "created" : "existing"]++;
}

async function seedSeller(ctx: Context, plan: SellerPlan, gigs: GigPlan[]) {
  // Without signing in: a complete seller has the profile and every gig title in search.
  const found = await publicProfile(ctx, plan.username);
  const complete = found?.isSeller && profileMatches(ctx, found, plan);
  if (complete) {
    if (await searchHasAll(ctx, plan.username, gigs.map((gig) => gig.body.title))) {
      ctx.progress.sellers.existing++;
      ctx.progress.gigs.existing += gigs.length;
      return;
    }
  }
  const { session, created } = await signIn(ctx, plan);
  if (!found?.isSeller) {
    if (!session.user.emailVerified) await verifyEmail(ctx, session, plan, created);
  }
  if (!found || !profileMatches(ctx, found, plan)) {
    await updateProfile(ctx, session, plan);
  }
  const madeSeller = found?.isSeller ? false : await becomeSeller(ctx, session, plan);
  ctx.progress.sellers[madeSeller ? "created" : "existing"]++;
  const existing = created ? new Set<string>() : await ownTitles(session);
  for (const gig of gigs) {
    if (existing.has(gig.body.title)) ctx.progress.gigs.existing++;
    else ctx.queue.add(() => publishGig(ctx, session, gig), true);
  }
}

/** The public profile, or undefined if there is none (yet). */
// deno-lint-ignore no-explicit-any
async function publicProfile(ctx: Context, username: string): Promise<any | undefined> {
  const path = `/api/v1/users/${username}`;
  const res = await ctx.client.send("GET", path);
  if (res.status === 200) return res.body;
  if (res.status === 404) return undefined;
  throw new SeedError(describe("GET", path, res));
}

/** Whether the account gets an uploaded avatar rather than the plan's link (or none). */
function uploadsAvatar(ctx: Context, plan: AccountPlan): boolean {
  return plan.profile.avatarUrl !== null && plan.index < ctx.pictures;
}

// deno-lint-ignore no-explicit-any
function profileMatches(ctx: Context, found: any, plan: AccountPlan): boolean {
  const { profile } = plan;
  // An uploaded avatar's URL is the object store's; a planned link is on IMAGE_HOST.
  const avatar = uploadsAvatar(ctx, plan)
    ? typeof found.avatarUrl === "string" && !found.avatarUrl.startsWith(`${IMAGE_HOST}/`)
    : found.avatarUrl === profile.avatarUrl;
  return found.displayName === profile.displayName && found.bio === profile.bio &&
    found.country === profile.country && avatar &&
    JSON.stringify(found.languages) === JSON.stringify(profile.languages);
}

function signIn(ctx: Context, plan: AccountPlan) {
  return Session.open(ctx.client, {
    email: plan.email,
    username: plan.username,
    password: ctx.password,
  });
}

/**
 * Sends `attempt` until it answers something other than "not yet": the
 * services learn of a signup, a verification or a new seller from events, a
 * moment after the answer that caused them.
 */
async function settle(
  ctx: Context,
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
          "are the services consuming their events? (check the fleet's logs)",
      );
    }
    await sleep(pause);
  }
}

async function updateProfile(ctx: Context, session: Session, plan: AccountPlan) {
  const uploaded = uploadsAvatar(ctx, plan)
    ? await uploadPicture(
      session,
      "avatar",
      `${plan.username}.png`,
      await encodePng(avatarCanvas(plan.username, plan.profile.displayName)),
    )
    : undefined;
  // The avatar is the uploaded file instead of the planned link.
  const { avatarUrl, ...rest } = plan.profile;
  const body: Partial<ProfileBody> & { avatarMediaId?: string } = uploaded
    ? { ...rest, avatarMediaId: uploaded }
    : { ...rest, avatarUrl };
  const res = await settle(
    ctx,
    `profile of ${session.login}`,
    () => session.send("PATCH", "/api/v1/users/me", { body }),
    // user.registered (404) or the avatar's media.uploaded (422) not consumed yet.
    (r) => r.status === 404 || r.body?.code === "media_not_usable",
  );
  if (res.status !== 200) {
    throw new SeedError(describe("PATCH", "/api/v1/users/me", res, session.login));
  }
}

/**
 * Uploads a generated picture as a browser does: announces it, PUTs the bytes to the presigned
 * URL (straight to the object store), completes it. Returns the media id.
 */
async function uploadPicture(
  session: Session,
  purpose: "avatar" | "gig_image",
  name: string,
  bytes: Uint8Array<ArrayBuffer>,
): Promise<string> {
  const announce = { purpose, contentType: "image/png", size: bytes.length, name };
  const res = await session.send("POST", "/api/v1/uploads", { body: announce });
  if (res.status !== 201) {
    throw new SeedError(describe("POST", "/api/v1/uploads", res, session.login));
  }
  const { media, upload } = res.body as {
    media: { id: string };
    upload: { method: string; url: string; headers: Record<string, string> };
  };
  for (let attempt = 0;; attempt++) {
    try {
      const put = await fetch(upload.url, {
        method: upload.method,
        headers: upload.headers,
        body: bytes,
      });
      await put.body?.cancel();
      if (put.ok) break;
      throw new SeedError(
        `PUT of ${name} to the object store answered ${put.status}; is S3_PUBLIC_URL reachable ` +
          "from here?",
      );
    } catch (error) {
      if (error instanceof SeedError || attempt >= 3) throw error;
      await sleep(250 * 2 ** attempt); // the store may be busy; a PUT may be repeated
    }
  }
  const path = `/api/v1/uploads/${media.id}/complete`;
  const done = await session.send("POST", path);
  if (done.status !== 200) throw new SeedError(describe("POST", path, done, session.login));
  return media.id;
}

/** Verifies the email with the link of the newest verification mail, asking for a new one if needed. */
async function verifyEmail(ctx: Context, session: Session, plan: AccountPlan, created: boolean) {
  let afterId = 0;
  for (let round = 0; round < 3; round++) {
    // A fresh signup's welcome mail is on its way; an older account's links may be stale.
    const link = await ctx.mails.waitForLink(
      plan.email,
      afterId,
      round === 0 && !created ? 0 : 60_000,
    );
    if (link) {
      const res = await ctx.client.send("POST", "/api/v1/auth/verify-email", {
        body: { token: link.token },
      });
      if (res.status === 200) return;
      if (res.status !== 400) {
        throw new SeedError(describe("POST", "/api/v1/auth/verify-email", res, plan.username));
      }
      afterId = link.mailId; // used or expired: ask for a new one
    } else {
      afterId = await ctx.mails.newestId(plan.email);
    }
    if (round === 2) break;
    const resend = await session.send("POST", "/api/v1/auth/resend-verification");
    if (resend.status === 409) return; // already verified meanwhile
    if (resend.status !== 202) {
      throw new SeedError(
        describe("POST", "/api/v1/auth/resend-verification", resend, plan.username),
      );
    }
  }
  throw new SeedError(
    `no usable verification mail reached ${plan.email}; is the fleet's mail going to the ` +
      "mail catcher that --mail-api reads?",
  );
}

/** Creates the seller profile; false if it existed already. */
async function becomeSeller(ctx: Context, session: Session, plan: SellerPlan): Promise<boolean> {
  const res = await settle(
    ctx,
    `seller profile of ${plan.username}`,
    () => session.send("POST", "/api/v1/sellers", { body: plan.seller }),
    // The profile (404) or the verification (403) has not reached the users service yet.
    (r) => r.status === 404 || (r.status === 403 && r.body?.code === "email_not_verified"),
  );
  if (res.status === 201) return true;
  if (res.status === 409) return false;
  throw new SeedError(describe("POST", "/api/v1/sellers", res, plan.username));
}

/** The gig's body: as many generated, uploaded pictures as the plan has links, if it gets them. */
async function gigBodyOf(ctx: Context, session: Session, gig: GigPlan) {
  if (gig.index >= ctx.pictures) return gig.body;
  const label = gig.body.subcategory.replaceAll("-", " ");
  const imageMediaIds: string[] = [];
  for (let k = 0; k < gig.body.images.length; k++) {
    const bytes = await encodePng(gigCanvas(`${gig.body.title} ${k}`, label));
    imageMediaIds.push(
      await uploadPicture(session, "gig_image", `gig-${gig.index + 1}-${k + 1}.png`, bytes),
    );
  }
  return { ...gig.body, images: [], imageMediaIds };
}

async function publishGig(ctx: Context, session: Session, gig: GigPlan) {
  const body = await gigBodyOf(ctx, session, gig);
  for (let attempt = 0;; attempt++) {
    let res: Reply | undefined;
    try {
      res = await settle(
        ctx,
        `gig ${gig.index + 1} of ${session.login}`,
        () => session.send("POST", "/api/v1/gigs", { body, idempotent: false }),
        // seller.created (403) or the pictures' media.uploaded (422) has not reached gigs yet.
        (r) =>
          (r.status === 403 && r.body?.code === "not_a_seller") ||
          r.body?.code === "media_not_usable",
      );
    } catch (error) {
      if (error instanceof SeedError) throw error;
      // The connection broke after sending: the gig may exist. Checked below.
    }
    if (res?.status === 201) {
      ctx.progress.gigs.created++;
      return;
    }
    if (res && res.status < 500) {
      throw new SeedError(describe("POST", "/api/v1/gigs", res, session.login));
    }
    if (attempt >= 4) {
      throw new SeedError(
        res
          ? describe("POST", "/api/v1/gigs", res, session.login)
          : `publishing gig ${gig.index + 1} kept failing`,
      );
    }
    // A 5xx or a broken connection may still have created it: look before publishing again.
    ctx.progress.retries++;
    await sleep(500 * 2 ** attempt);
    if ((await ownTitles(session)).has(gig.body.title)) {
      ctx.progress.gigs.created++;
      return;
    }
  }
}

/**
 * Whether public search lists every one of `titles` for the seller: reads
 * pages until all are seen or the results end (search reaches 10,000 results).
 */
async function searchHasAll(ctx: Context, username: string, titles: string[]): Promise<boolean> {
  const missing = new Set(titles);
  for (let page = 1; missing.size > 0 && page <= 200; page++) {
    const path = `/api/v1/gigs?seller=${encodeURIComponent(username)}&limit=50&page=${page}`;
    const res = await ctx.client.send("GET", path);
    if (res.status !== 200) throw new SeedError(describe("GET", path, res));
    for (const card of res.body.items) missing.delete(card.title);
    if (res.body.items.length < 50 || page * 50 >= res.body.total) break;
  }
  return missing.size === 0;
}

/** Titles of every gig the signed-in seller has, active or paused. */
async function ownTitles(session: Session): Promise<Set<string>> {
  const titles = new Set<string>();
  for (let page = 1;; page++) {
    const path = `/api/v1/gigs/mine?limit=50&page=${page}`;
    const res = await session.send("GET", path);
    if (res.status !== 200) throw new SeedError(describe("GET", path, res, session.login));
    for (const card of res.body.items) titles.add(card.title);
    if (res.body.items.length < 50 || page * 50 >= res.body.total) return titles;
  }
}

// ---------------------------------------------------------------- command line

const USAGE = `Usage: deno task seed [-- options]

Fills a running fleet with demo buyers, sellers, gigs and conversations (messages and
a custom offer each) through its gateway.
The same options always make the same data; running again creates only what is missing.

Options:
  --gateway URL      the gateway (default http://127.0.0.1:$GATEWAY_PORT, port 8000)
  --mail-api URL     the mail catcher's JSON list of mails, read for verification links
                     (default http://127.0.0.1:8025/api/mails, started by deno task dev)
  --users N          buyers (default ${DEFAULTS.buyers})
  --sellers N        sellers (default 20, or one per 20 gigs above 400 gigs)
  --gigs N           gigs, dealt round-robin over the sellers (default ${DEFAULTS.gigs}, up to 1,000,000)
  --conversations N  conversations of buyer i with seller i mod sellers: four messages and a
                     custom offer each (default ${DEFAULTS.conversations}, at most one per buyer)
  --pictures N       the first N accounts and gigs get generated pictures, uploaded through
                     presigned URLs; the rest keep links (default ${DEFAULTS.pictures})
  --concurrency N    requests in flight (default ${DEFAULTS.concurrency})
  --password TEXT    password of every demo account (default ${DEFAULTS.password})
  --prefix NAME      usernames are NAME_buyer_0001, NAME_seller_0001 (default ${DEFAULTS.prefix})
  --max-wait S       longest rate-limit wait (Retry-After) to sit out (default ${DEFAULTS.maxWaitSeconds} s)
  -h, --help         this text

Large seeds need the gateway's limits raised, e.g.
  SIGNUP_LIMIT_PER_HOUR=100000 LOGIN_IP_LIMIT_PER_MINUTE=100000 RATE_LIMIT_PER_MINUTE=1000000 deno task dev`;

function count(value: string | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > max) {
    throw new SeedError(`--${name} must be a whole number from 0 to ${max}`);
  }
  return n;
}

/** Parses the command line (a leading `--` from `deno task seed -- …` is ignored). */
export function parseCommandLine(
  args: string[],
  env: { GATEWAY_PORT?: string } = {},
): SeedOptions | "help" {
  const { values } = parseArgs({
    args: args[0] === "--" ? args.slice(1) : args,
    options: {
      gateway: { type: "string" },
      "mail-api": { type: "string" },
      users: { type: "string" },
      sellers: { type: "string" },
      gigs: { type: "string" },
      conversations: { type: "string" },
      concurrency: { type: "string" },
      pictures: { type: "string" },
      password: { type: "string" },
      prefix: { type: "string" },
      "max-wait": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return "help";
  const gigs = count(values.gigs, "gigs", DEFAULTS.gigs, 1_000_000);
  const sellers = values.sellers === undefined
    ? undefined
    : count(values.sellers, "sellers", 0, 1_000_000);
  const concurrency = count(values.concurrency, "concurrency", DEFAULTS.concurrency, 256);
  if (concurrency < 1) throw new SeedError("--concurrency must be at least 1");
  const port = env.GATEWAY_PORT || "8000";
  return {
    gateway: values.gateway ?? `http://127.0.0.1:${port}`,
    mailApi: values["mail-api"] ?? "http://127.0.0.1:8025/api/mails",
    buyers: count(values.users, "users", DEFAULTS.buyers, 1_000_000),
    sellers,
    gigs,
    conversations: count(values.conversations, "conversations", DEFAULTS.conversations, 100_000),
    concurrency,
    pictures: count(values.pictures, "pictures", DEFAULTS.pictures, 1_000_000),
    password: values.password ?? DEFAULTS.password,
    prefix: values.prefix ?? DEFAULTS.prefix,
    maxWaitSeconds: count(values["max-wait"], "max-wait", DEFAULTS.maxWaitSeconds, 86_400),
  };
}

async function main() {
  let options: SeedOptions | "help";
  try {
    options = parseCommandLine(Deno.args, { GATEWAY_PORT: Deno.env.get("GATEWAY_PORT") });
  } catch (error) {
    console.error(`deno task seed: ${(error as Error).message}\n\n${USAGE}`);
    Deno.exit(2);
  }
  if (options === "help") {
    console.log(USAGE);
    return;
  }
  const stop = new AbortController();
  let interrupted = false;
  Deno.addSignalListener("SIGINT", () => {
    if (interrupted) Deno.exit(130);
    interrupted = true;
    console.log("\nStopping after the requests in flight (Ctrl-C again to quit now)…");
    stop.abort(new SeedError("interrupted; run the seed again to continue where it stopped"));
  });
  const sellers = options.sellers ?? defaultSellers(options.gigs);
  console.log(
    `Seeding ${options.gateway}: ${options.buyers} buyers, ${sellers} sellers, ${options.gigs} gigs, ` +
      `${options.conversations} conversations ` +
      `(concurrency ${options.concurrency}, verification mails from ${options.mailApi})`,
  );
  try {
    const summary = await seed({
      ...options,
      progress: Deno.stdout.isTerminal() ? "tty" : "lines",
      signal: stop.signal,
    });
    const line = (name: string, c: Count) =>
      `  ${name.padEnd(8)} ${
        String(c.created + c.existing).padStart(7)
      }  (${c.created} new, ${c.existing} already there)`;
    console.log([
      `Done in ${summary.seconds.toFixed(1)} s` +
      (summary.gigs.created ? `, ${summary.gigsPerSecond.toFixed(1)} new gigs/s` : "") + ":",
      line("buyers", summary.buyers),
      line("sellers", summary.sellers),
      line("gigs", summary.gigs),
      line("chats", summary.conversations),
      line("messages", summary.messages),
      line("offers", summary.offers),
    ].join("\n"));
    const examples = [
      sellers > 0 ? usernameOf(options.prefix!, "seller", 0) : "",
      options.buyers > 0 ? usernameOf(options.prefix!, "buyer", 0) : "",
    ].filter(Boolean);
    if (examples.length) {
      console.log(`Sign in as ${examples.join(" or ")} with the password "${options.password}".`);
    }
  } catch (error) {
    console.error(
      `\ndeno task seed: ${error instanceof SeedError ? error.message : (error as Error).stack}`,
    );
    Deno.exit(interrupted ? 130 : 1);
  }
}

if (import.meta.main) await main();
