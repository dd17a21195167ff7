/**
 * What a gig is: the fields a seller may write (every list bounded, every link a
 * public https URL, every price integer minor units), the rules across fields
 * (one currency per gig, a basic package, a subcategory of the category) and the
 * shapes clients and events see. Pure functions, unit-tested.
 */
import { z } from "zod";
import { errors, type FieldError } from "@mp/shared/problem";
import { belongsTo, categoryOf, isCategory } from "./taxonomy.ts";
import { publicHttpsUrl as imageUrlSchema } from "@mp/shared/public_link";
import { line, paragraph } from "@mp/shared/text";

/** Package tiers, cheapest first. */
export const TIERS = ["basic", "standard", "premium"] as const;
/** A package tier. */
export type Tier = typeof TIERS[number];

/**
 * Currencies a gig may be priced in. Orders charge in the gig's currency, so this
 * list is what the payment side supports; all of them have two minor digits.
 */
export const CURRENCIES = ["USD", "EUR", "GBP", "CAD", "AUD"] as const;

/** Limits of a gig (also in the README). */
export const GIG_LIMITS = {
  title: { min: 10, max: 100 },
  description: { min: 20, max: 5000 },
  tags: 5,
  tag: 30,
  images: 5,
  packageName: 40,
  packageDescription: 300,
  features: 10,
  feature: 60,
  /** Largest price: 1,000,000.00 in the gig's currency. */
  maxAmount: 100_000_000,
  maxDeliveryDays: 90,
  maxRevisions: 20,
  requirements: 10,
  question: 500,
  choices: 10,
  choice: 100,
  faq: 10,
  faqQuestion: 200,
  faqAnswer: 1000,
} as const;

/** Statuses a gig has; `deleted` is never shown to anyone. */
export type GigStatus = "active" | "paused" | "deleted";

/** A refinement rejecting duplicate items of a list by a key. */
function unique<T>(key: (item: T) => string, what: string) {
  return (items: T[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    items.forEach((item, index) => {
      const k = key(item);
      if (seen.has(k)) {
        ctx.addIssue({ code: "custom", path: [index], message: `Duplicate ${what}.` });
      }
      seen.add(k);
    });
  };
}

/** A category slug of the taxonomy. */
export const categorySchema = z.string().max(60).refine(
  isCategory,
  "Must be a category slug of the taxonomy (see GET /api/v1/gigs/categories).",
);

/** A subcategory slug of the taxonomy. */
export const subcategorySchema = z.string().max(60).refine(
  (slug) => categoryOf(slug) !== undefined,
  "Must be a subcategory slug of the taxonomy (see GET /api/v1/gigs/categories).",
);

/** Money as integer minor units of a supported currency. */
export const moneySchema = z.strictObject({
  amount: z.number().int("Must be a whole number of minor units (cents).")
    .min(1, "Must be positive.").max(GIG_LIMITS.maxAmount),
  currency: z.enum(CURRENCIES),
});

/** Money: minor units plus ISO 4217 code. */
export type Money = z.infer<typeof moneySchema>;

const packageSchema = z.strictObject({
  tier: z.enum(TIERS),
  name: line(GIG_LIMITS.packageName),
  description: paragraph(GIG_LIMITS.packageDescription),
  price: moneySchema,
  deliveryDays: z.number().int().min(1).max(GIG_LIMITS.maxDeliveryDays),
  revisions: z.number().int().min(0).max(GIG_LIMITS.maxRevisions),
  features: z.array(line(GIG_LIMITS.feature)).max(GIG_LIMITS.features).default([])
    .superRefine(unique((f: string) => f.toLowerCase(), "feature")),
});

/** One package as stored and published. */
export type GigPackage = z.infer<typeof packageSchema>;

const packagesSchema = z.array(packageSchema).min(1, "Give at least the basic package.").max(3)
  .superRefine(unique((p: GigPackage) => p.tier, "tier"))
  .superRefine((packages, ctx) => {
    if (packages.length > 0 && !packages.some((p) => p.tier === "basic")) {
      ctx.addIssue({ code: "custom", message: "The basic package is required." });
    }
    const currency = packages[0]?.price.currency;
    packages.forEach((p, index) => {
      if (p.price.currency !== currency) {
        ctx.addIssue({
          code: "custom",
          path: [index, "price", "currency"],
          message: "Every package of a gig must use the same currency.",
        });
      }
    });
  })
  // Stored and shown cheapest tier first, whatever order the seller sent.
  .transform((packages) =>
    [...packages].sort((a, b) => TIERS.indexOf(a.tier) - TIERS.indexOf(b.tier))
  );

const requirementFields = {
  question: paragraph(GIG_LIMITS.question),
  required: z.boolean().default(true),
  type: z.enum(["text", "choice"]).default("text"),
  choices: z.array(line(GIG_LIMITS.choice)).min(2).max(GIG_LIMITS.choices)
    .superRefine(unique((c: string) => c.toLowerCase(), "choice")).optional(),
};

function choicesMatchType(
  requirement: { type: "text" | "choice"; choices?: string[] },
  ctx: z.RefinementCtx,
) {
  if (requirement.type === "choice" && !requirement.choices) {
    ctx.addIssue({
      code: "custom",
      path: ["choices"],
      message: "A choice question needs choices.",
    });
  }
  if (requirement.type === "text" && requirement.choices) {
    ctx.addIssue({
      code: "custom",
      path: ["choices"],
      message: "Only a choice question has choices.",
    });
  }
}

/** A requirement as a new gig gives it (ids are the service's). */
const newRequirement = z.strictObject(requirementFields).superRefine(choicesMatchType);
/** A requirement in an edit: `id` keeps an existing question's identity. */
const editedRequirement = z.strictObject({ id: z.uuid().optional(), ...requirementFields })
  .superRefine(choicesMatchType);

/** A requirement question as stored and published. */
export interface Requirement {
  id: string;
  question: string;
  required: boolean;
  type: "text" | "choice";
  choices?: string[];
}

const faqItem = z.strictObject({
  question: line(GIG_LIMITS.faqQuestion),
  answer: paragraph(GIG_LIMITS.faqAnswer),
});

/** A question and answer of a gig's FAQ. */
export type FaqItem = z.infer<typeof faqItem>;

// Tags are search keywords: lower-case words, digits, spaces and hyphens.
const tagSchema = z.string().trim().toLowerCase().min(2).max(GIG_LIMITS.tag)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} -]*$/u, "Must be letters, digits, spaces or hyphens.")
  .transform((tag) => tag.replace(/\s+/g, " "));

const fields = {
  title: line(GIG_LIMITS.title.max, GIG_LIMITS.title.min),
  description: paragraph(GIG_LIMITS.description.max, GIG_LIMITS.description.min),
  category: categorySchema,
  subcategory: subcategorySchema,
  tags: z.array(tagSchema).max(GIG_LIMITS.tags).superRefine(unique((t: string) => t, "tag")),
  images: z.array(imageUrlSchema).max(GIG_LIMITS.images)
    .superRefine(unique((u: string) => u, "image")),
  imageMediaIds: z.array(z.uuid()).max(GIG_LIMITS.images)
    .superRefine(unique((id: string) => id.toLowerCase(), "image"))
    .meta({ description: "Images the seller uploaded (media service, purpose gig_image)." }),
  packages: packagesSchema,
  faq: z.array(faqItem).max(GIG_LIMITS.faq),
};

/**
 * Body of `POST /gigs`. Owner, status, rating, prices derived from packages and
 * dates are the service's: naming one is an unknown field, a 400.
 */
export const gigCreateSchema = z.strictObject({
  ...fields,
  tags: fields.tags.default([]),
  images: fields.images.default([]),
  imageMediaIds: fields.imageMediaIds.default([]),
  requirements: z.array(newRequirement).max(GIG_LIMITS.requirements).default([]),
  faq: fields.faq.default([]),
}).superRefine((gig, ctx) => {
  const total = gig.images.length + gig.imageMediaIds.length;
  if (total > GIG_LIMITS.images) {
    ctx.addIssue({
      code: "custom",
      path: ["imageMediaIds"],
      message: `At most ${GIG_LIMITS.images} images in all (links and uploads), not ${total}.`,
    });
  }
  if (!belongsTo(gig.category, gig.subcategory) && categoryOf(gig.subcategory)) {
    ctx.addIssue({
      code: "custom",
      path: ["subcategory"],
      message: `Must be a subcategory of ${gig.category}.`,
    });
  }
});

/** A validated new gig. */
export type GigInput = z.infer<typeof gigCreateSchema>;

/** Body of `PATCH /gigs/{id}`: any of the same fields, at least one; a list replaces the old one. */
export const gigPatchSchema = z.strictObject({
  title: fields.title.optional(),
  description: fields.description.optional(),
  category: fields.category.optional(),
  subcategory: fields.subcategory.optional(),
  tags: fields.tags.optional(),
  images: fields.images.optional(),
  imageMediaIds: fields.imageMediaIds.optional(),
  packages: fields.packages.optional(),
  requirements: z.array(editedRequirement).max(GIG_LIMITS.requirements)
    .superRefine((items, ctx) => {
      // Only the ids given must be unique; new questions come without one.
      const seen = new Set<string>();
      items.forEach((r, index) => {
        if (r.id === undefined) return;
        if (seen.has(r.id)) {
          ctx.addIssue({
            code: "custom",
            path: [index, "id"],
            message: "Duplicate requirement id.",
          });
        }
        seen.add(r.id);
      });
    })
    .optional(),
  faq: fields.faq.optional(),
}).refine((patch) => Object.keys(patch).length > 0, "Give at least one field to change.");

/** A validated edit. */
export type GigPatch = z.infer<typeof gigPatchSchema>;

/** What packages imply for search: the cheapest price, its currency and the fastest delivery. */
export function packageSummary(
  packages: GigPackage[],
): { startingPrice: number; currency: string; minDeliveryDays: number } {
  return {
    startingPrice: Math.min(...packages.map((p) => p.price.amount)),
    currency: packages[0].price.currency,
    minDeliveryDays: Math.min(...packages.map((p) => p.deliveryDays)),
  };
}

/** Gives new requirements fresh ids. */
export function newRequirementIds(
  requirements: GigInput["requirements"],
): Requirement[] {
  return requirements.map((r) => ({ id: crypto.randomUUID(), ...r }));
}

/**
 * Ids for edited requirements: a given `id` must be one of the gig's current
 * requirements (so an answer recorded against it keeps its meaning); a missing
 * id is a new question. An unknown id is a 400.
 */
export function editedRequirementIds(
  requirements: NonNullable<GigPatch["requirements"]>,
  current: Requirement[],
): Requirement[] {
  const known = new Set(current.map((r) => r.id));
  const problems: FieldError[] = [];
  const result = requirements.map((r, index) => {
    if (r.id && !known.has(r.id)) {
      problems.push({
        pointer: `/requirements/${index}/id`,
        detail: "Not a requirement of this gig; leave it out for a new question.",
      });
    }
    return { ...r, id: r.id ?? crypto.randomUUID() };
  });
  if (problems.length > 0) throw errors.validation(problems);
  return result;
}

/** A gig row as read from the database, joined with its seller. */
export interface GigRow {
  id: string;
  seller_id: string;
  title: string;
  description: string;
  category: string;
  subcategory: string;
  tags: string[];
  images: string[];
  image_media_ids: string[];
  packages: GigPackage[];
  requirements: Requirement[];
  faq: FaqItem[];
  currency: string;
  starting_price: string | number;
  status: GigStatus;
  rating_average: string | null;
  rating_count: number;
  created_at: Date;
  updated_at: Date;
  seller_username: string;
  seller_display_name: string;
  seller_avatar_url: string | null;
  seller_level: string | null;
}

/** A seller as gigs show them. */
export interface GigSeller {
  id: string;
  username: string;
  displayName: string;
  avatarUrl: string | null;
  level: string | null;
}

/** A gig as clients see it. */
export interface Gig {
  id: string;
  seller: GigSeller;
  title: string;
  description: string;
  category: string;
  subcategory: string;
  tags: string[];
  images: string[];
  imageMediaIds: string[];
  packages: GigPackage[];
  requirements: Requirement[];
  faq: FaqItem[];
  status: "active" | "paused";
  rating: Rating;
  startingPrice: Money;
  createdAt: string;
  updatedAt: string;
}

/** A rating aggregate; `average` is null until the first review. */
export interface Rating {
  average: number | null;
  count: number;
}

/** `numeric` arrives as text from the driver. */
export function toRating(average: string | number | null, count: number): Rating {
  return { average: average === null ? null : Number(average), count };
}

/** Maps a stored gig (not deleted) to its public shape. */
export function toGig(row: GigRow): Gig {
  return {
    id: row.id,
    seller: {
      id: row.seller_id,
      username: row.seller_username,
      displayName: row.seller_display_name,
      avatarUrl: row.seller_avatar_url,
      level: row.seller_level,
    },
    title: row.title,
    description: row.description,
    category: row.category,
    subcategory: row.subcategory,
    tags: row.tags,
    images: row.images,
    imageMediaIds: row.image_media_ids,
    packages: row.packages,
    requirements: row.requirements,
    faq: row.faq,
    status: row.status === "paused" ? "paused" : "active",
    rating: toRating(row.rating_average, row.rating_count),
    startingPrice: {
      amount: Number(row.starting_price),
      currency: row.currency as Money["currency"],
    },
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
