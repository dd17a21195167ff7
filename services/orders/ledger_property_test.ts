/**
 * Property test of the escrow ledger: 10,000 random order lifecycles (random
 * prices, fees, currencies, sellers, parties, commands, clock jumps, late
 * payments of abandoned orders, outside refunds, clearings, withdrawals and
 * refused withdrawals) run through the real state machine (order.ts) and the
 * real postings (ledger.ts). After every posting the ledger balances, and in
 * magnitudes escrow + released + fees + refunds = captured; at the end of each
 * lifecycle the order's escrow is empty unless the work is still under way.
 * A seeded PRNG makes any failure reproducible from its seed.
 */
import assert from "node:assert/strict";
import { AppError } from "@mp/shared/problem";
import {
  type Account,
  ACCOUNTS,
  assertBalanced,
  capturePosting,
  clearPosting,
  type OrderMoney,
  payoutPosting,
  payoutReversalPosting,
  type Posting,
  postingFor,
  refundPosting,
} from "./ledger.ts";
import { quote } from "./money.ts";
import {
  type Actor,
  type Command,
  decide,
  type OrderSnapshot,
  TERMINAL_STATUSES,
  WORKING_STATUSES,
} from "./order.ts";

const DAY = 86_400_000;
const LIFECYCLES = 10_000;
const SEED = 20_241_122;

/** mulberry32: small, fast, good enough to explore; deterministic per seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
    chance: (p: number) => next() < p,
  };
}

/** Moves a real buyer, seller or Stripe would likely make next. */
function plausible(order: OrderSnapshot, rand: ReturnType<typeof prng>): [Actor, Command][] {
  const moves: [Actor, Command][] = [];
  const answerer = order.pendingCancellation?.requestedBy === "buyer" ? "seller" : "buyer";
  if (order.pendingCancellation) {
    moves.push([answerer, { type: "answer_cancellation", accept: rand.chance(0.4) }]);
  }
  if (order.pendingExtension) {
    moves.push(["buyer", { type: "answer_extension", approve: rand.chance(0.7) }]);
  }
  switch (order.status) {
    case "pending_payment":
      moves.push(["system", { type: "pay" }], ["system", { type: "pay" }], ["buyer", {
        type: "cancel",
      }]);
      break;
    case "in_progress":
    case "in_revision":
      moves.push(
        ["seller", { type: "deliver" }],
        ["seller", { type: "deliver" }],
        ["seller", { type: "request_extension", days: rand.int(1, 5) }],
        [rand.pick<Actor>(["buyer", "seller"]), { type: "request_cancellation" }],
        ["buyer", { type: "cancel" }],
      );
      break;
    case "delivered":
      moves.push(
        ["buyer", { type: "accept" }],
        ["buyer", { type: "request_revision" }],
        ["system", { type: "auto_complete" }],
        ["system", { type: "refunded" }],
      );
      break;
    default:
      moves.push(["system", { type: "pay" }], ["buyer", { type: "accept" }]);
  }
  return moves;
}

/** The ledger as running balances, checked after every posting. */
class Ledger {
  /** (account, currency) → balance, debit positive. */
  readonly byAccount = new Map<string, number>();
  /** (account, owner, currency) → balance, for owned accounts. */
  readonly owned = new Map<string, number>();
  /** (order, kind) postings made, to prove each happens at most once. */
  readonly once = new Set<string>();
  postings = 0;

  post(p: Posting) {
    assertBalanced(p);
    if (p.orderId && p.kind !== "clear") {
      const key = `${p.orderId}:${p.kind}`;
      assert.ok(!this.once.has(key), `second ${p.kind} for order ${p.orderId}`);
      this.once.add(key);
    }
    for (const e of p.entries) {
      const key = `${e.account}:${e.currency}`;
      this.byAccount.set(key, (this.byAccount.get(key) ?? 0) + e.amount);
      if (e.owner) {
        const ownedKey = `${e.account}:${e.owner}:${e.currency}`;
        this.owned.set(ownedKey, (this.owned.get(ownedKey) ?? 0) + e.amount);
      }
    }
    this.postings++;
    this.check(p);
  }

  balance(account: Account, currency: string) {
    return this.byAccount.get(`${account}:${currency}`) ?? 0;
  }

  ownedBalance(account: Account, owner: string, currency: string) {
    return this.owned.get(`${account}:${owner}:${currency}`) ?? 0;
  }

  check(p: Posting) {
    for (const currency of new Set(p.entries.map((e) => e.currency))) {
      const sum = ACCOUNTS.reduce((total, account) => total + this.balance(account, currency), 0);
      assert.equal(sum, 0, `ledger off by ${sum} ${currency} after ${p.kind}`);
      // The wording, in magnitudes (credit balances are negative).
      const captured = this.balance("stripe_clearing", currency);
      const escrow = -this.balance("escrow", currency);
      const released = -(this.balance("seller_pending", currency) +
        this.balance("seller_available", currency) + this.balance("seller_paid_out", currency));
      const fees = -this.balance("platform_fees", currency);
      const refunds = -this.balance("buyer_refunds", currency);
      assert.equal(escrow + released + fees + refunds, captured);
      for (const magnitude of [captured, escrow, released, fees, refunds]) {
        assert.ok(magnitude >= 0, `negative aggregate after ${p.kind}`);
      }
    }
    // No seller balance ever goes below zero (credits are negative, so balances stay ≤ 0).
    for (const e of p.entries) {
      if (e.owner && e.account !== "escrow") {
        assert.ok(this.ownedBalance(e.account, e.owner, e.currency) <= 0, `${e.account} overdrawn`);
      }
    }
  }
}

Deno.test(`the ledger balances through ${LIFECYCLES} random order lifecycles (escrow + released + fees + refunds = captured)`, () => {
  const rand = prng(SEED);
  const ledger = new Ledger();
  const sellers = Array.from({ length: 25 }, (_, i) => `seller-${i}`);
  const currencies = ["USD", "EUR", "GBP"] as const;
  /** Earnings released but not yet cleared, per seller and currency. */
  const uncleared: { orderId: string; sellerId: string; currency: string; amount: number }[] = [];
  const stats = {
    completed: 0,
    cancelled: 0,
    refundedLate: 0,
    payouts: 0,
    reversals: 0,
    illegal: 0,
  };

  for (let n = 0; n < LIFECYCLES; n++) {
    const currency = rand.pick(currencies);
    const fees = {
      buyerFeeBps: rand.int(0, 1500),
      buyerFeeFixed: rand.int(0, 300),
      commissionBps: rand.int(0, 10_000),
    };
    const priced = quote({ amount: rand.int(1, 1_000_000), currency }, fees);
    const money: OrderMoney = { ...priced, orderId: `order-${n}`, sellerId: rand.pick(sellers) };
    let now = new Date(Date.UTC(2030, 0, 1) + n * 1000);
    let order: OrderSnapshot = {
      status: "pending_payment",
      deliveryDays: rand.int(1, 10),
      revisionsIncluded: rand.int(0, 3),
      revisionsUsed: 0,
      extensionDays: 0,
      paidAt: null,
      dueAt: null,
      autoCompleteAt: null,
      pendingCancellation: null,
      pendingExtension: null,
    };
    let captured = false;
    const settings = { autoCompleteMs: rand.int(1, 5) * DAY };

    for (let step = 0; step < 14; step++) {
      now = new Date(now.getTime() + rand.int(0, 3) * DAY + rand.int(0, DAY));
      // Mostly a move that makes sense now (so lifecycles get far), sometimes anything at all.
      const [actor, command]: [Actor, Command] = rand.chance(0.7)
        ? rand.pick(plausible(order, rand))
        : [
          rand.pick<Actor>(["buyer", "seller", "system"]),
          rand.pick<Command>([
            { type: "pay" },
            { type: "deliver" },
            { type: "request_revision" },
            { type: "accept" },
            { type: "auto_complete" },
            { type: "request_cancellation" },
            { type: "answer_cancellation", accept: rand.chance(0.5) },
            { type: "cancel" },
            { type: "request_extension", days: rand.int(1, 30) },
            { type: "answer_extension", approve: rand.chance(0.5) },
            { type: "refunded" },
          ]),
        ];
      let decision;
      try {
        decision = decide(order, actor, command, now, settings);
      } catch (error) {
        assert.ok(error instanceof AppError && [400, 403, 409].includes(error.status));
        stats.illegal++;
        // A payment landing on an abandoned order is captured and sent back (payment_facts.ts).
        if (
          command.type === "pay" && order.status === "cancelled" && !captured && rand.chance(0.5)
        ) {
          ledger.post(capturePosting(money));
          ledger.post(refundPosting(money));
          captured = true;
          stats.refundedLate++;
        }
        continue;
      }
      if (decision.ledger) {
        ledger.post(postingFor(decision.ledger, money));
        if (decision.ledger === "capture") captured = true;
        if (decision.ledger === "release" && money.sellerEarnings > 0) {
          uncleared.push({
            orderId: money.orderId,
            sellerId: money.sellerId,
            currency,
            amount: money.sellerEarnings,
          });
        }
      }
      // Apply the decision as transitions.ts does.
      const pendingCancellation = decision.opens === "cancellation"
        ? { id: `c${step}`, requestedBy: actor as "buyer" | "seller" }
        : decision.resolves?.request === "cancellation" ||
            decision.withdraws.includes("cancellation")
        ? null
        : order.pendingCancellation;
      const pendingExtension = decision.opens === "extension"
        ? { id: `e${step}`, days: (command as { days: number }).days }
        : decision.resolves?.request === "extension" || decision.withdraws.includes("extension")
        ? null
        : order.pendingExtension;
      order = {
        ...order,
        status: decision.to,
        revisionsUsed: decision.changes.revisionsUsed ?? order.revisionsUsed,
        extensionDays: decision.changes.extensionDays ?? order.extensionDays,
        paidAt: decision.changes.paidAt ?? order.paidAt,
        dueAt: decision.changes.dueAt ?? order.dueAt,
        autoCompleteAt: decision.changes.autoCompleteAt !== undefined
          ? decision.changes.autoCompleteAt
          : order.autoCompleteAt,
        pendingCancellation,
        pendingExtension,
      };
      if (TERMINAL_STATUSES.includes(order.status) && rand.chance(0.5)) break;
    }

    // The order's escrow holds its total exactly while paid work is under way.
    const escrow = ledger.ownedBalance("escrow", money.orderId, currency);
    assert.equal(escrow, WORKING_STATUSES.includes(order.status) ? -money.total : 0, order.status);
    if (order.status === "completed") stats.completed++;
    if (order.status === "cancelled") stats.cancelled++;

    // Scheduled clearing of some released earnings (the oldest first).
    while (uncleared.length > 0 && rand.chance(0.6)) {
      const c = uncleared.shift()!;
      ledger.post(clearPosting(c.orderId, c.sellerId, c.currency, c.amount));
    }
    // A seller withdraws some or all of what is available; sometimes Stripe refuses it.
    if (rand.chance(0.3)) {
      const sellerId = rand.pick(sellers);
      const c = rand.pick(currencies);
      const available = -ledger.ownedBalance("seller_available", sellerId, c);
      if (available > 0) {
        const amount = rand.chance(0.5) ? available : rand.int(1, available);
        const payoutId = `payout-${n}`;
        ledger.post(payoutPosting(payoutId, sellerId, c, amount));
        stats.payouts++;
        if (rand.chance(0.2)) {
          ledger.post(payoutReversalPosting(payoutId, sellerId, c, amount));
          stats.reversals++;
        }
      }
    }
  }

  // Every path was exercised, not just the happy one.
  assert.ok(stats.completed > 500, JSON.stringify(stats));
  assert.ok(stats.cancelled > 500, JSON.stringify(stats));
  assert.ok(stats.refundedLate > 10, JSON.stringify(stats));
  assert.ok(stats.payouts > 100 && stats.reversals > 10, JSON.stringify(stats));
  assert.ok(ledger.postings > 10_000, JSON.stringify(stats));
});

Deno.test("assertBalanced() refuses unbalanced, zero, fractional and wrongly owned entries", () => {
  const ok: Posting = {
    kind: "clear",
    orderId: "o",
    payoutId: null,
    entries: [
      { account: "seller_pending", owner: "s", currency: "USD", amount: 5 },
      { account: "seller_available", owner: "s", currency: "USD", amount: -5 },
    ],
  };
  assertBalanced(ok);
  const broken: Posting[] = [
    { ...ok, entries: [ok.entries[0]] },
    { ...ok, entries: [ok.entries[0], { ...ok.entries[1], amount: -4 }] },
    { ...ok, entries: [ok.entries[0], { ...ok.entries[1], currency: "EUR" }] },
    { ...ok, entries: [{ ...ok.entries[0], amount: 0.5 }, { ...ok.entries[1], amount: -0.5 }] },
    { ...ok, entries: [{ ...ok.entries[0], owner: null }, ok.entries[1]] },
    {
      ...ok,
      entries: [
        { account: "platform_fees", owner: "s", currency: "USD", amount: 5 },
        ok.entries[1],
      ],
    },
  ];
  for (const p of broken) assert.throws(() => assertBalanced(p), Error);
});
