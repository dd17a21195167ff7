/**
 * The gig replica: the purchasable gigs orders learned from gig events, and
 * whether a user sells here.
 * Plain SQL; the rules live in order.ts and ledger.ts.
 */
import type { Sql, Tx } from "@mp/shared/db";

/** Either a pool or a transaction. */
type Db = Sql | Tx;

/** A package of a replicated gig. */
export interface GigPackage {
  tier: "basic" | "standard" | "premium";
  name: string;
  description: string;
  price: { amount: number; currency: string };
  deliveryDays: number;
  revisions: number;
  features: string[];
}

/** A requirement question of a replicated gig. */
export interface GigRequirement {
  id: string;
  question: string;
  required: boolean;
  type: "text" | "choice";
  choices?: string[];
}

/** A gig as the replica knows it. */
export interface ReplicaGig {
  gigId: string;
  sellerId: string;
  title: string;
  status: "active" | "paused" | "deleted";
  packages: GigPackage[];
  requirements: GigRequirement[];
  updatedAt: Date;
}

/**
 * Applies `gig.created`/`gig.updated`: inserts the gig, or overwrites it only
 * when this version is newer than the stored one and the gig is not deleted.
 * Returns `false` when the event was stale (older, or about a deleted gig).
 */
export async function upsertGig(
  tx: Tx,
  gig: Omit<ReplicaGig, "status"> & {
    status: "active" | "paused";
  },
): Promise<boolean> {
  const rows = await tx`
    insert into gigs (gig_id, seller_id, title, status, packages, requirements, source_updated_at)
    values (${gig.gigId}, ${gig.sellerId}, ${gig.title}, ${gig.status},
      ${tx.json(gig.packages as never)}, ${tx.json(gig.requirements as never)}, ${gig.updatedAt})
    on conflict (gig_id) do update set
      seller_id = excluded.seller_id, title = excluded.title, status = excluded.status,
      packages = excluded.packages, requirements = excluded.requirements,
      source_updated_at = excluded.source_updated_at, received_at = now()
    where gigs.status <> 'deleted' and gigs.source_updated_at < excluded.source_updated_at
    returning gig_id`;
  return rows.length > 0;
}

/** Applies `gig.deleted`: a tombstone, final whatever arrives later. */
export async function markGigDeleted(
  tx: Tx,
  gig: { gigId: string; sellerId: string; deletedAt: Date },
): Promise<void> {
  await tx`
    insert into gigs (gig_id, seller_id, title, status, source_updated_at)
    values (${gig.gigId}, ${gig.sellerId}, '', 'deleted', ${gig.deletedAt})
    on conflict (gig_id) do update set status = 'deleted',
      source_updated_at = greatest(gigs.source_updated_at, excluded.source_updated_at),
      received_at = now()`;
}

/** The replica's gig, or undefined. */
export async function findGig(db: Db, gigId: string): Promise<ReplicaGig | undefined> {
  const [row] = await db<
    {
      gig_id: string;
      seller_id: string;
      title: string;
      status: ReplicaGig["status"];
      packages: GigPackage[];
      requirements: GigRequirement[];
      source_updated_at: Date;
    }[]
  >`select gig_id, seller_id, title, status, packages, requirements, source_updated_at
    from gigs where gig_id = ${gigId}`;
  if (!row) return undefined;
  return {
    gigId: row.gig_id,
    sellerId: row.seller_id,
    title: row.title,
    status: row.status,
    packages: row.packages,
    requirements: row.requirements,
    updatedAt: row.source_updated_at,
  };
}

/** Whether the user sells here: has a gig in the replica or an order as seller. */
export async function isKnownSeller(db: Db, userId: string): Promise<boolean> {
  const rows = await db`select 1 where exists (select 1 from gigs where seller_id = ${userId})
    or exists (select 1 from orders where seller_id = ${userId})`;
  return rows.length > 0;
}
