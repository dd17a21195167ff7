/**
 * The one rule for whole numbers in a query string and for paging (`page`,
 * `limit`), used by every list route.
 */
import { z } from "zod";

/**
 * A whole number from a query string, `min` to `max`. Query values arrive as
 * strings: digits only, so "1e3", " 5" or "-1" are refused (400), never coerced.
 */
export const queryInt = (max: number, min = 1) =>
  z.string().regex(
    /^\d{1,12}$/,
    min >= 1 ? "Must be a positive whole number." : "Must be a whole number.",
  ).transform(Number).pipe(z.number().int().min(min).max(max));

/** `page` and `limit`, both optional, for a `z.strictObject` of a list's query. */
export const pageParams = (limits: { maxPage: number; maxLimit: number }) => ({
  page: queryInt(limits.maxPage).optional(),
  limit: queryInt(limits.maxLimit).optional(),
});
