/**
 * The order state machine: the one place that decides whether a move is legal
 * and what it changes. Pure (no I/O, the clock is an argument), so every legal
 * and illegal transition is unit-tested in order_test.ts; transitions.ts
 * applies a decision to the database in one transaction.
 *
 * ```
 * pending_payment ──pay──▶ in_progress ──deliver──▶ delivered ──accept / auto_complete──▶ completed
 *       │                    ▲   │                   │   ▲
 *       │                    │   │        request_revision │ deliver
 *       │                    │   │                   ▼   │
 *       │                    │   └──────────────▶ in_revision
 *       │                    └ extension requests (seller asks, buyer answers) move the due date
 *       └─cancel (buyer: abandon unpaid)──▶ cancelled ◀── cancellation accepted / late cancel / refunded
 * ```
 *
 * Who may do what: the buyer accepts, asks for revisions, answers extension
 * requests and cancels a late or unpaid order alone; the seller delivers and
 * asks for extensions; either party asks to cancel and the other answers;
 * `system` pays (verified webhook), auto-completes and records an outside refund.
 * The wrong party gets 403 `wrong_party`; a move the status does not allow gets
 * 409 `illegal_transition` naming the current status.
 */
import { AppError } from "@mp/shared/problem";

/** Every status an order can have. */
export const ORDER_STATUSES = [
  "pending_payment",
  "in_progress",
  "delivered",
  "in_revision",
  "completed",
  "cancelled",
] as const;
/** An order status. */
export type OrderStatus = typeof ORDER_STATUSES[number];
/** Statuses after which nothing changes. */
export const TERMINAL_STATUSES: readonly OrderStatus[] = ["completed", "cancelled"];
/** Statuses of a paid order whose work is not finished (money in escrow). */
export const WORKING_STATUSES: readonly OrderStatus[] = ["in_progress", "delivered", "in_revision"];

/** A party to the order. */
export type Party = "buyer" | "seller";
/** Who acts: a party, or the service itself (webhooks, scheduler). */
export type Actor = Party | "system";

/** Longest extension one request may ask for, in days. */
export const MAX_EXTENSION_DAYS = 30;
const DAY_MS = 86_400_000;

/** What the machine needs to know about an order. */
export interface OrderSnapshot {
  status: OrderStatus;
  deliveryDays: number;
  revisionsIncluded: number;
  revisionsUsed: number;
  extensionDays: number;
  paidAt: Date | null;
  dueAt: Date | null;
  autoCompleteAt: Date | null;
  /** The open cancellation request, if any. */
  pendingCancellation: { id: string; requestedBy: Party } | null;
  /** The open extension request, if any. */
  pendingExtension: { id: string; days: number } | null;
}

/** A move someone asks for. */
export type Command =
  | { type: "pay" }
  | { type: "deliver" }
  | { type: "request_revision" }
  | { type: "accept" }
  | { type: "auto_complete" }
  | { type: "request_cancellation" }
  | { type: "answer_cancellation"; accept: boolean }
  | { type: "cancel" }
  | { type: "request_extension"; days: number }
  | { type: "answer_extension"; approve: boolean }
  | { type: "refunded" };

/** A command type. */
export type CommandType = Command["type"];

/** Who may issue each command. */
export const ALLOWED_ACTORS: Record<CommandType, readonly Actor[]> = {
  pay: ["system"],
  deliver: ["seller"],
  request_revision: ["buyer"],
  accept: ["buyer"],
  auto_complete: ["system"],
  request_cancellation: ["buyer", "seller"],
  answer_cancellation: ["buyer", "seller"],
  cancel: ["buyer"],
  request_extension: ["seller"],
  answer_extension: ["buyer"],
  refunded: ["system"],
};

/** Kinds of timeline entries a decision records. */
export type TimelineKind =
  | "paid"
  | "delivered"
  | "revision_requested"
  | "completed"
  | "cancelled"
  | "cancellation_requested"
  | "cancellation_accepted"
  | "cancellation_declined"
  | "extension_requested"
  | "extension_approved"
  | "extension_declined";

/** Field changes of a decision (only the ones present change). */
export interface OrderChanges {
  paidAt?: Date;
  dueAt?: Date;
  deliveredAt?: Date;
  autoCompleteAt?: Date | null;
  completedAt?: Date;
  completedBy?: "buyer" | "auto";
  cancelledAt?: Date;
  cancelledBy?: Actor;
  revisionsUsed?: number;
  extensionDays?: number;
}

/** What a legal command does. */
export interface Decision {
  from: OrderStatus;
  to: OrderStatus;
  changes: OrderChanges;
  /**
   * The escrow movement it causes: the payment lands in escrow (`capture`),
   * goes to the seller and the platform (`release`) or back to the buyer (`refund`).
   */
  ledger: "capture" | "release" | "refund" | null;
  /** A request the command opens (its id is the caller's). */
  opens?: "cancellation" | "extension";
  /** The open request the command answers, and how. */
  resolves?: {
    request: "cancellation" | "extension";
    id: string;
    outcome: "accepted" | "declined" | "approved";
  };
  /** Open requests the command makes moot (closed as `withdrawn`). */
  withdraws: ("cancellation" | "extension")[];
  /** Timeline entries, in order. */
  timeline: TimelineKind[];
}

/** Timing settings of the machine. */
export interface MachineSettings {
  /** How long a delivery waits for the buyer before it completes by itself. */
  autoCompleteMs: number;
}

/** The order is late: paid, not yet delivered, and past its due date. */
export function isLate(order: Pick<OrderSnapshot, "status" | "dueAt">, now: Date): boolean {
  return order.status === "in_progress" && order.dueAt !== null &&
    now.getTime() > order.dueAt.getTime();
}

/** Revisions the buyer may still ask for. */
export function revisionsLeft(order: Pick<OrderSnapshot, "revisionsIncluded" | "revisionsUsed">) {
  return Math.max(0, order.revisionsIncluded - order.revisionsUsed);
}

const wrongParty = (detail: string) => new AppError(403, "wrong_party", detail);

/** 409 naming the current status. */
export function illegal(status: OrderStatus, detail: string): AppError {
  return new AppError(409, "illegal_transition", `The order is ${status}: ${detail}`, {
    currentStatus: status,
  });
}

const COMMAND_WORDS: Record<CommandType, string> = {
  pay: "it cannot be paid",
  deliver: "it cannot be delivered now",
  request_revision: "a revision can only be requested on a delivered order",
  accept: "only a delivered order can be accepted",
  auto_complete: "only a delivered order completes automatically",
  request_cancellation: "only a paid order in progress, delivered or in revision can be cancelled",
  answer_cancellation: "there is no cancellation request to answer",
  cancel: "it cannot be cancelled",
  request_extension: "an extension can only be asked for while the work is in progress",
  answer_extension: "there is no extension request to answer",
  refunded: "a refund cannot cancel it",
};

/**
 * Decides a command by `actor` on `order` at `now`.
 * @throws AppError 403 `wrong_party`, 409 `illegal_transition` (with `currentStatus`)
 *   or 409 with a more specific code (`not_late`, `no_revisions_left`, …).
 */
export function decide(
  order: OrderSnapshot,
  actor: Actor,
  command: Command,
  now: Date,
  settings: MachineSettings,
): Decision {
  if (!ALLOWED_ACTORS[command.type].includes(actor)) {
    throw wrongParty(`The ${actor} may not ${command.type.replaceAll("_", " ")} this order.`);
  }
  const from = order.status;
  const base = { from, changes: {}, ledger: null, withdraws: [], timeline: [] };
  const refuse = () => illegal(from, COMMAND_WORDS[command.type]);

  switch (command.type) {
    case "pay": {
      if (from !== "pending_payment") throw refuse();
      const dueAt = new Date(now.getTime() + order.deliveryDays * DAY_MS);
      return {
        ...base,
        to: "in_progress",
        changes: { paidAt: now, dueAt },
        ledger: "capture",
        timeline: ["paid"],
      };
    }
    case "deliver": {
      if (from !== "in_progress" && from !== "in_revision") throw refuse();
      return {
        ...base,
        to: "delivered",
        changes: {
          deliveredAt: now,
          autoCompleteAt: new Date(now.getTime() + settings.autoCompleteMs),
        },
        // A delivery answers the work; asking for more time for it is moot.
        withdraws: order.pendingExtension ? ["extension"] : [],
        timeline: ["delivered"],
      };
    }
    case "request_revision": {
      if (from !== "delivered") throw refuse();
      if (revisionsLeft(order) === 0) {
        throw new AppError(
          409,
          "no_revisions_left",
          `The order is delivered and its ${order.revisionsIncluded} revision(s) are used up; accept it or ask to cancel.`,
          { currentStatus: from },
        );
      }
      return {
        ...base,
        to: "in_revision",
        changes: { revisionsUsed: order.revisionsUsed + 1, autoCompleteAt: null },
        timeline: ["revision_requested"],
      };
    }
    case "accept": {
      if (from !== "delivered") throw refuse();
      return complete(order, base, now, "buyer");
    }
    case "auto_complete": {
      if (from !== "delivered") throw refuse();
      if (!order.autoCompleteAt || order.autoCompleteAt.getTime() > now.getTime()) {
        throw new AppError(409, "not_due", "The order is delivered but not yet due to complete.", {
          currentStatus: from,
        });
      }
      return complete(order, base, now, "auto");
    }
    case "request_cancellation": {
      if (!WORKING_STATUSES.includes(from)) throw refuse();
      if (order.pendingCancellation) {
        throw new AppError(
          409,
          "cancellation_pending",
          `The order is ${from} and already has an open cancellation request.`,
          { currentStatus: from },
        );
      }
      return { ...base, to: from, opens: "cancellation", timeline: ["cancellation_requested"] };
    }
    case "answer_cancellation": {
      const pending = order.pendingCancellation;
      if (!WORKING_STATUSES.includes(from) || !pending) throw refuse();
      if (pending.requestedBy === actor) {
        throw wrongParty("The other party answers a cancellation request.");
      }
      const resolves = {
        request: "cancellation" as const,
        id: pending.id,
        outcome: command.accept ? "accepted" as const : "declined" as const,
      };
      if (!command.accept) {
        return { ...base, to: from, resolves, timeline: ["cancellation_declined"] };
      }
      return {
        ...cancel(order, base, now, actor, "cancellation"),
        resolves,
        timeline: ["cancellation_accepted", "cancelled"],
      };
    }
    case "cancel": {
      if (from === "pending_payment") {
        // Abandoning an unpaid order: nothing was captured, so nothing to refund.
        return {
          ...base,
          to: "cancelled",
          changes: { cancelledAt: now, cancelledBy: "buyer" },
          timeline: ["cancelled"],
        };
      }
      if (from === "in_progress" && !isLate(order, now)) {
        throw new AppError(
          409,
          "not_late",
          "The order is in_progress and not late: ask the seller to cancel instead.",
          { currentStatus: from },
        );
      }
      if (from !== "in_progress") throw refuse();
      return { ...cancel(order, base, now, "buyer"), timeline: ["cancelled"] };
    }
    case "request_extension": {
      if (from !== "in_progress" && from !== "in_revision") throw refuse();
      if (
        !Number.isInteger(command.days) || command.days < 1 || command.days > MAX_EXTENSION_DAYS
      ) {
        throw new AppError(400, "validation_failed", "The extension must be 1 to 30 days.", {
          errors: [{ pointer: "/days", detail: `Must be 1 to ${MAX_EXTENSION_DAYS}.` }],
        });
      }
      if (order.pendingExtension) {
        throw new AppError(
          409,
          "extension_pending",
          `The order is ${from} and already has an open extension request.`,
          { currentStatus: from },
        );
      }
      return { ...base, to: from, opens: "extension", timeline: ["extension_requested"] };
    }
    case "answer_extension": {
      const pending = order.pendingExtension;
      if ((from !== "in_progress" && from !== "in_revision") || !pending) throw refuse();
      if (!command.approve) {
        return {
          ...base,
          to: from,
          resolves: { request: "extension", id: pending.id, outcome: "declined" },
          timeline: ["extension_declined"],
        };
      }
      const dueAt = new Date((order.dueAt ?? now).getTime() + pending.days * DAY_MS);
      return {
        ...base,
        to: from,
        changes: { dueAt, extensionDays: order.extensionDays + pending.days },
        resolves: { request: "extension", id: pending.id, outcome: "approved" },
        timeline: ["extension_approved"],
      };
    }
    case "refunded": {
      // The payment was refunded outside an order flow (e.g. from Stripe's dashboard).
      if (!WORKING_STATUSES.includes(from)) throw refuse();
      return { ...cancel(order, base, now, "system"), timeline: ["cancelled"] };
    }
  }
}

type Base = Pick<Decision, "from" | "changes" | "ledger" | "withdraws" | "timeline">;

function openRequests(order: OrderSnapshot): ("cancellation" | "extension")[] {
  const open: ("cancellation" | "extension")[] = [];
  if (order.pendingCancellation) open.push("cancellation");
  if (order.pendingExtension) open.push("extension");
  return open;
}

function complete(order: OrderSnapshot, base: Base, now: Date, by: "buyer" | "auto"): Decision {
  return {
    ...base,
    to: "completed",
    changes: { completedAt: now, completedBy: by, autoCompleteAt: null },
    ledger: "release",
    withdraws: openRequests(order),
    timeline: ["completed"],
  };
}

/** Cancels a paid order (abandoning an unpaid one is handled apart): escrow goes back. */
function cancel(
  order: OrderSnapshot,
  base: Base,
  now: Date,
  by: Actor,
  resolving?: "cancellation",
): Decision {
  return {
    ...base,
    to: "cancelled",
    changes: { cancelledAt: now, cancelledBy: by, autoCompleteAt: null },
    ledger: "refund",
    // Every other open request is moot once the order is cancelled.
    withdraws: openRequests(order).filter((request) => request !== resolving),
    timeline: [],
  };
}
