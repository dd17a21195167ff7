/**
 * The state machine of order.ts, pure: every (status, command, actor) triple is
 * tried against a table of the legal ones, then each guard and each field a
 * decision changes is checked on its own.
 */
import assert from "node:assert/strict";
import { AppError } from "@mp/shared/problem";
import {
  type Actor,
  type Command,
  type CommandType,
  decide,
  isLate,
  ORDER_STATUSES,
  type OrderSnapshot,
  type OrderStatus,
  revisionsLeft,
} from "./order.ts";

const DAY = 86_400_000;
const NOW = new Date("2030-01-10T12:00:00Z");
const SETTINGS = { autoCompleteMs: 3 * DAY };
const ACTORS: Actor[] = ["buyer", "seller", "system"];

function snapshot(status: OrderStatus, overrides: Partial<OrderSnapshot> = {}): OrderSnapshot {
  const paid = status !== "pending_payment";
  return {
    status,
    deliveryDays: 3,
    revisionsIncluded: 2,
    revisionsUsed: 0,
    extensionDays: 0,
    paidAt: paid ? new Date(NOW.getTime() - 5 * DAY) : null,
    // Paid five days ago with three days to deliver: late unless told otherwise.
    dueAt: paid ? new Date(NOW.getTime() - 2 * DAY) : null,
    autoCompleteAt: status === "delivered" ? new Date(NOW.getTime() - 1000) : null,
    pendingCancellation: null,
    pendingExtension: null,
    ...overrides,
  };
}

const COMMANDS: Record<CommandType, Command> = {
  pay: { type: "pay" },
  deliver: { type: "deliver" },
  request_revision: { type: "request_revision" },
  accept: { type: "accept" },
  auto_complete: { type: "auto_complete" },
  request_cancellation: { type: "request_cancellation" },
  answer_cancellation: { type: "answer_cancellation", accept: true },
  cancel: { type: "cancel" },
  request_extension: { type: "request_extension", days: 2 },
  answer_extension: { type: "answer_extension", approve: true },
  refunded: { type: "refunded" },
};

/** Legal moves: command → actor → statuses it may start from → where it leads. */
const LEGAL: Record<
  CommandType,
  Partial<Record<Actor, Partial<Record<OrderStatus, OrderStatus>>>>
> = {
  pay: { system: { pending_payment: "in_progress" } },
  deliver: { seller: { in_progress: "delivered", in_revision: "delivered" } },
  request_revision: { buyer: { delivered: "in_revision" } },
  accept: { buyer: { delivered: "completed" } },
  auto_complete: { system: { delivered: "completed" } },
  request_cancellation: {
    buyer: { in_progress: "in_progress", delivered: "delivered", in_revision: "in_revision" },
    seller: { in_progress: "in_progress", delivered: "delivered", in_revision: "in_revision" },
  },
  answer_cancellation: {
    buyer: { in_progress: "cancelled", delivered: "cancelled", in_revision: "cancelled" },
    seller: { in_progress: "cancelled", delivered: "cancelled", in_revision: "cancelled" },
  },
  cancel: { buyer: { pending_payment: "cancelled", in_progress: "cancelled" } },
  request_extension: { seller: { in_progress: "in_progress", in_revision: "in_revision" } },
  answer_extension: { buyer: { in_progress: "in_progress", in_revision: "in_revision" } },
  refunded: {
    system: { in_progress: "cancelled", delivered: "cancelled", in_revision: "cancelled" },
  },
};

/** The most favourable order for a command: only the guard under test can refuse it. */
function favourable(status: OrderStatus, type: CommandType, actor: Actor): OrderSnapshot {
  const other = actor === "buyer" ? "seller" : "buyer";
  return snapshot(status, {
    pendingCancellation: type === "answer_cancellation" ? { id: "c1", requestedBy: other } : null,
    pendingExtension: type === "answer_extension" ? { id: "e1", days: 2 } : null,
  });
}

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError, got ${error}`);
    return error;
  }
  assert.fail("expected the move to be refused");
}

Deno.test("decide() allows exactly the legal (status, command, actor) moves and refuses every other with 403 or 409", () => {
  let legal = 0;
  let refused = 0;
  for (const status of ORDER_STATUSES) {
    for (const type of Object.keys(COMMANDS) as CommandType[]) {
      for (const actor of ACTORS) {
        const order = favourable(status, type, actor);
        const expected = LEGAL[type][actor]?.[status];
        const where = `${type} by ${actor} from ${status}`;
        if (expected) {
          const decision = decide(order, actor, COMMANDS[type], NOW, SETTINGS);
          assert.equal(decision.from, status, where);
          assert.equal(decision.to, expected, where);
          legal++;
        } else {
          const error = refusal(() => decide(order, actor, COMMANDS[type], NOW, SETTINGS));
          if (!LEGAL[type][actor]) {
            assert.equal(error.status, 403, where);
            assert.equal(error.code, "wrong_party", where);
          } else {
            assert.equal(error.status, 409, where);
            assert.equal(error.extra.currentStatus, status, where);
            assert.match(error.message, new RegExp(`^The order is ${status}`), where);
          }
          refused++;
        }
      }
    }
  }
  // 6 statuses × 11 commands × 3 actors.
  assert.equal(legal + refused, 198);
  assert.equal(legal, 27);
});

Deno.test("decide() makes no move out of completed or cancelled", () => {
  for (const status of ["completed", "cancelled"] as const) {
    for (const type of Object.keys(COMMANDS) as CommandType[]) {
      for (const actor of ACTORS) {
        const error = refusal(() =>
          decide(favourable(status, type, actor), actor, COMMANDS[type], NOW, SETTINGS)
        );
        assert.ok(error.status === 403 || error.status === 409);
      }
    }
  }
});

Deno.test("pay() captures the payment and sets the due date to paid time + delivery days", () => {
  const d = decide(snapshot("pending_payment"), "system", { type: "pay" }, NOW, SETTINGS);
  assert.equal(d.ledger, "capture");
  assert.deepEqual(d.changes, { paidAt: NOW, dueAt: new Date(NOW.getTime() + 3 * DAY) });
  assert.deepEqual(d.timeline, ["paid"]);
});

Deno.test("deliver() starts the auto-completion clock and withdraws an open extension request", () => {
  const order = snapshot("in_progress", { pendingExtension: { id: "e1", days: 2 } });
  const d = decide(order, "seller", { type: "deliver" }, NOW, SETTINGS);
  assert.deepEqual(d.changes, {
    deliveredAt: NOW,
    autoCompleteAt: new Date(NOW.getTime() + 3 * DAY),
  });
  assert.deepEqual(d.withdraws, ["extension"]);
  assert.equal(d.ledger, null);
});

Deno.test("request_revision() uses one revision, stops auto-completion, and is refused once none are left", () => {
  const d = decide(
    snapshot("delivered", { revisionsUsed: 1 }),
    "buyer",
    {
      type: "request_revision",
    },
    NOW,
    SETTINGS,
  );
  assert.deepEqual(d.changes, { revisionsUsed: 2, autoCompleteAt: null });
  const error = refusal(() =>
    decide(
      snapshot("delivered", { revisionsUsed: 2 }),
      "buyer",
      { type: "request_revision" },
      NOW,
      SETTINGS,
    )
  );
  assert.equal(error.status, 409);
  assert.equal(error.code, "no_revisions_left");
  assert.equal(error.extra.currentStatus, "delivered");
  const none = refusal(() =>
    decide(
      snapshot("delivered", { revisionsIncluded: 0 }),
      "buyer",
      { type: "request_revision" },
      NOW,
      SETTINGS,
    )
  );
  assert.equal(none.code, "no_revisions_left");
});

Deno.test("accept() and auto_complete() release escrow and close open requests; auto_complete waits for its time", () => {
  const open = {
    pendingCancellation: { id: "c1", requestedBy: "seller" as const },
    pendingExtension: null,
  };
  const accepted = decide(snapshot("delivered", open), "buyer", { type: "accept" }, NOW, SETTINGS);
  assert.equal(accepted.ledger, "release");
  assert.equal(accepted.changes.completedBy, "buyer");
  assert.deepEqual(accepted.withdraws, ["cancellation"]);

  const auto = decide(snapshot("delivered"), "system", { type: "auto_complete" }, NOW, SETTINGS);
  assert.equal(auto.changes.completedBy, "auto");
  assert.equal(auto.ledger, "release");

  const early = refusal(() =>
    decide(
      snapshot("delivered", { autoCompleteAt: new Date(NOW.getTime() + 1) }),
      "system",
      { type: "auto_complete" },
      NOW,
      SETTINGS,
    )
  );
  assert.equal(early.code, "not_due");
});

Deno.test("a cancellation request is answered by the other party only; accepting refunds, declining changes nothing", () => {
  const byBuyer = snapshot("in_progress", {
    pendingCancellation: { id: "c1", requestedBy: "buyer" },
  });
  const self = refusal(() =>
    decide(byBuyer, "buyer", { type: "answer_cancellation", accept: true }, NOW, SETTINGS)
  );
  assert.equal(self.status, 403);

  const accepted = decide(
    byBuyer,
    "seller",
    { type: "answer_cancellation", accept: true },
    NOW,
    SETTINGS,
  );
  assert.equal(accepted.to, "cancelled");
  assert.equal(accepted.ledger, "refund");
  assert.deepEqual(accepted.resolves, { request: "cancellation", id: "c1", outcome: "accepted" });
  assert.deepEqual(accepted.timeline, ["cancellation_accepted", "cancelled"]);
  assert.deepEqual(accepted.withdraws, []);
  assert.equal(accepted.changes.cancelledBy, "seller");

  const declined = decide(
    byBuyer,
    "seller",
    { type: "answer_cancellation", accept: false },
    NOW,
    SETTINGS,
  );
  assert.equal(declined.to, "in_progress");
  assert.equal(declined.ledger, null);
  assert.deepEqual(declined.changes, {});
  assert.equal(declined.resolves?.outcome, "declined");
});

Deno.test("a second open cancellation or extension request is a 409", () => {
  const c = refusal(() =>
    decide(
      snapshot("in_progress", { pendingCancellation: { id: "c1", requestedBy: "seller" } }),
      "buyer",
      { type: "request_cancellation" },
      NOW,
      SETTINGS,
    )
  );
  assert.equal(c.code, "cancellation_pending");
  const e = refusal(() =>
    decide(
      snapshot("in_progress", { pendingExtension: { id: "e1", days: 1 } }),
      "seller",
      { type: "request_extension", days: 3 },
      NOW,
      SETTINGS,
    )
  );
  assert.equal(e.code, "extension_pending");
});

Deno.test("cancel() by the buyer: an unpaid order is abandoned without refund, a late one is refunded, a punctual one is refused", () => {
  const abandoned = decide(snapshot("pending_payment"), "buyer", { type: "cancel" }, NOW, SETTINGS);
  assert.equal(abandoned.to, "cancelled");
  assert.equal(abandoned.ledger, null);

  const late = decide(snapshot("in_progress"), "buyer", { type: "cancel" }, NOW, SETTINGS);
  assert.equal(late.ledger, "refund");
  assert.equal(late.changes.cancelledBy, "buyer");

  const onTime = snapshot("in_progress", { dueAt: new Date(NOW.getTime() + DAY) });
  const error = refusal(() => decide(onTime, "buyer", { type: "cancel" }, NOW, SETTINGS));
  assert.equal(error.status, 409);
  assert.equal(error.code, "not_late");
  assert.equal(error.extra.currentStatus, "in_progress");

  // Exactly at the due date the order is not yet late.
  const due = snapshot("in_progress", { dueAt: NOW });
  assert.equal(
    refusal(() => decide(due, "buyer", { type: "cancel" }, NOW, SETTINGS)).code,
    "not_late",
  );
});

Deno.test("an approved extension moves the due date by its days; a declined one does not", () => {
  const order = snapshot("in_progress", {
    dueAt: new Date(NOW.getTime() + DAY),
    extensionDays: 1,
    pendingExtension: { id: "e9", days: 4 },
  });
  const approved = decide(
    order,
    "buyer",
    { type: "answer_extension", approve: true },
    NOW,
    SETTINGS,
  );
  assert.deepEqual(approved.changes, {
    dueAt: new Date(NOW.getTime() + 5 * DAY),
    extensionDays: 5,
  });
  assert.deepEqual(approved.resolves, { request: "extension", id: "e9", outcome: "approved" });
  const declined = decide(
    order,
    "buyer",
    { type: "answer_extension", approve: false },
    NOW,
    SETTINGS,
  );
  assert.deepEqual(declined.changes, {});
  assert.equal(declined.resolves?.outcome, "declined");
});

Deno.test("request_extension() accepts 1 to 30 days only", () => {
  for (const days of [0, 31, 1.5, -1]) {
    const error = refusal(() =>
      decide(snapshot("in_progress"), "seller", { type: "request_extension", days }, NOW, SETTINGS)
    );
    assert.equal(error.status, 400, String(days));
  }
  for (const days of [1, 30]) {
    assert.equal(
      decide(snapshot("in_progress"), "seller", { type: "request_extension", days }, NOW, SETTINGS)
        .opens,
      "extension",
    );
  }
});

Deno.test("refunded (outside refund) cancels a paid order and withdraws every open request", () => {
  const order = snapshot("delivered", {
    pendingCancellation: { id: "c1", requestedBy: "buyer" },
    pendingExtension: { id: "e1", days: 1 },
  });
  const d = decide(order, "system", { type: "refunded" }, NOW, SETTINGS);
  assert.equal(d.to, "cancelled");
  assert.equal(d.ledger, "refund");
  assert.deepEqual(d.withdraws, ["cancellation", "extension"]);
  assert.equal(d.changes.cancelledBy, "system");
});

Deno.test("isLate() holds only for an order in progress past its due date", () => {
  const past = new Date(NOW.getTime() - 1);
  assert.equal(isLate({ status: "in_progress", dueAt: past }, NOW), true);
  assert.equal(isLate({ status: "in_progress", dueAt: NOW }, NOW), false);
  assert.equal(isLate({ status: "in_progress", dueAt: null }, NOW), false);
  for (const status of ORDER_STATUSES.filter((s) => s !== "in_progress")) {
    assert.equal(isLate({ status, dueAt: past }, NOW), false, status);
  }
  assert.equal(revisionsLeft({ revisionsIncluded: 2, revisionsUsed: 2 }), 0);
  assert.equal(revisionsLeft({ revisionsIncluded: 3, revisionsUsed: 1 }), 2);
});
