/**
 * Pieces of the API reference that several services send or take the same way:
 * money, a rating summary, the `Idempotency-Key` header and its replay marker,
 * a `{username}` path segment. One definition, so the document says one thing.
 */
import { z } from "zod";
import { IDEMPOTENCY_KEY, MAX_IDEMPOTENCY_KEY_LENGTH } from "./idempotency.ts";

/**
 * An amount of money described for its field: integer minor units and an ISO
 * 4217 code. Inline, not a named component: a named one reused with its own
 * description would carry the first use's description for every field.
 */
export const money = (description: string) =>
  z.object({
    amount: z.number().int().meta({
      description: "Integer amount in minor units of `currency` (cents for USD: 1999 = 19.99 USD).",
    }),
    currency: z.string().meta({ description: "ISO 4217 code, e.g. `USD`." }),
  }).meta({ description });

/** Stars over a set of reviews, described for its field (users and reviews send it). */
export const ratingSummary = (description: string) =>
  z.object({
    average: z.number().nullable().meta({
      description: "Mean of the stars, rounded half up to two decimals; null with no review.",
    }),
    count: z.number().int().meta({ description: "How many reviews." }),
    histogram: z.object({
      "1": z.number().int(),
      "2": z.number().int(),
      "3": z.number().int(),
      "4": z.number().int(),
      "5": z.number().int(),
    }).meta({ description: "How many reviews gave each number of stars." }),
  }).meta({ description });

/**
 * The `Idempotency-Key` header of a state-changing POST run under
 * `idempotentJson` (shared/idempotency.ts), as an OpenAPI parameter. Not
 * validated by a schema: `idempotentJson` checks it and answers its own codes.
 */
export const idempotencyKeyHeader = (required = false) => ({
  name: "Idempotency-Key",
  in: "header" as const,
  required,
  schema: {
    type: "string" as const,
    minLength: 1,
    maxLength: MAX_IDEMPOTENCY_KEY_LENGTH,
    pattern: IDEMPOTENCY_KEY.source,
  },
  description: (required ? "Required: a retry must never make a second one. " : "Optional. ") +
    "1–255 visible ASCII characters (a UUID is typical), one per intended change. A retry with " +
    "the same key by the same caller gets the first answer (status, body, `Location`) again with " +
    "`Idempotent-Replayed: true`, and changes nothing. 400 `idempotency_key_invalid` for a " +
    "malformed key" + (required ? ", `idempotency_key_required` without one" : "") +
    "; 422 `idempotency_key_reused` when the key was used for another route or body; 409 " +
    "`idempotency_key_in_use` (with `Retry-After: 1`) while the first request with the key is " +
    "still running. Only successes are remembered; keys are kept one day.",
});

/** The `Idempotent-Replayed` header of an answer sent again for a retried key. */
export const replayedHeader = {
  "Idempotent-Replayed": {
    description: "`true` when this is the stored answer of an earlier request with the same " +
      "`Idempotency-Key`; absent otherwise.",
    schema: { type: "string" as const, enum: ["true"] },
  },
};

/**
 * A `{username}` path parameter, documented but not validated: any name that
 * breaks auth's rule is answered 404 like an unknown one.
 */
export const usernamePathParam = {
  name: "username",
  in: "path" as const,
  required: true,
  schema: { type: "string" as const },
  description: "A username (3-30 characters: a letter, then letters, digits or `_`).",
};
