/**
 * Backfill of the canonical identity keys (migration 002) for accounts created
 * before them. The fold lives in TypeScript only (shared/identity.ts), so SQL
 * cannot compute it; auth runs this at every start, after `migrate()` and before
 * it serves. It is idempotent and cheap once done (a partial index finds the
 * rows left), and safe when replicas start together (they write the same values).
 */
import type { Sql } from "@mp/shared/db";
import { canonicalIdentity } from "@mp/shared/identity";
import type { Logger } from "@mp/shared/log";

/** What a backfill did. */
export interface BackfillOutcome {
  updated: number;
  /** Accounts whose key another account already holds: left without it, logged. */
  conflicts: string[];
}

type Row = { id: string; email: string; username: string };

/** Fills `email_key` and `username_key` wherever one is missing, `batch` rows at a time. */
export async function backfillIdentityKeys(
  sql: Sql,
  log: Logger,
  batch = 500,
): Promise<BackfillOutcome> {
  const outcome: BackfillOutcome = { updated: 0, conflicts: [] };
  let after = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    const rows = await sql<Row[]>`select id, email, username from users
      where (email_key is null or username_key is null) and id > ${after}
      order by id limit ${batch}`;
    if (rows.length === 0) break;
    after = rows[rows.length - 1].id;
    try {
      outcome.updated += await updateKeys(sql, rows);
    } catch (error) {
      if ((error as { code?: string }).code !== "23505") throw error;
      // Two old accounts fold to one key: fill the others one by one.
      for (const row of rows) {
        try {
          outcome.updated += await updateKeys(sql, [row]);
        } catch (rowError) {
          if ((rowError as { code?: string }).code !== "23505") throw rowError;
          outcome.conflicts.push(row.id);
        }
      }
    }
  }
  if (outcome.conflicts.length) {
    // Such an account cannot sign in by the clashing name until an operator resolves it.
    log.error("accounts whose canonical email or username is already taken", {
      userIds: outcome.conflicts,
    });
  }
  if (outcome.updated) {
    log.info("canonical identity keys backfilled", { accounts: outcome.updated });
  }
  return outcome;
}

async function updateKeys(sql: Sql, rows: Row[]): Promise<number> {
  const values = rows.map((r) => [r.id, canonicalIdentity(r.email), canonicalIdentity(r.username)]);
  const result = await sql`update users set email_key = v.email_key, username_key = v.username_key
    from (values ${sql(values)}) as v (id, email_key, username_key)
    where users.id = v.id::uuid`;
  return result.count;
}
