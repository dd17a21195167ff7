/**
 * What a client receives from the gigs service, for its OpenAPI document
 * (gig.ts `toGig`, store.ts `toCard`, search.ts `search` and the categories
 * route build these shapes).
 */
import { z } from "zod";
import { CURRENCIES, GIG_LIMITS, TIERS } from "./gig.ts";
import { MATCH_CAP } from "./search.ts";

const MONEY_UNITS = "Integer minor units of `currency` (cents: 2500 is 25.00); never a float.";

// Inline rather than a named component: a $ref would drop what each use says of it.
const money = z.object({
  amount: z.number().int().meta({ description: MONEY_UNITS }),
  currency: z.enum(CURRENCIES).meta({
    description: "ISO 4217 code; every package of a gig uses the same one.",
  }),
});

const rating = z.object({
  average: z.number().nullable().meta({
    description:
      "Mean stars (1-5, two decimals) of buyers' reviews of this gig; null until the first review.",
  }),
  count: z.number().int().meta({ description: "How many reviews." }),
}).meta({ description: "Buyers' reviews of this gig (not of the seller overall)." });

const sellerLevel = z.string().nullable().meta({
  description: "The seller's level as the users service computes it: `new`, `level_1`, " +
    "`level_2` or `top_rated`; null while the seller's level is not known here yet.",
});
const avatarUrl = z.string().nullable().meta({ description: "A public https link, or null." });
const image = z.string().meta({ description: "A public https link; never fetched by the server." });

const GigPackageView = z.object({
  tier: z.enum(TIERS).meta({
    description: "`basic` (always present), `standard`, `premium`; listed cheapest tier first.",
  }),
  name: z.string(),
  description: z.string(),
  price: money.meta({ description: "What an order of this package costs." }),
  deliveryDays: z.number().int().meta({
    description:
      `Days the seller has to deliver once the order is paid (1-${GIG_LIMITS.maxDeliveryDays}).`,
  }),
  revisions: z.number().int().meta({
    description: `Revisions the buyer may ask for (0-${GIG_LIMITS.maxRevisions}).`,
  }),
  features: z.array(z.string()).meta({ description: "What the package includes." }),
}).openapi("GigPackage");

const RequirementView = z.object({
  id: z.uuid().meta({
    description: "Stable id of the question; an order answers it by this id (`questionId`).",
  }),
  question: z.string(),
  required: z.boolean().meta({ description: "Whether an order must answer it." }),
  type: z.enum(["text", "choice"]).meta({
    description: "`text`: a free answer; `choice`: one of `choices`.",
  }),
  choices: z.array(z.string()).optional().meta({ description: "Only for a `choice` question." }),
}).openapi("GigRequirement");

/** A gig as `GET /gigs/{id}` and every write answer show it. */
export const GigView = z.object({
  id: z.uuid(),
  seller: z.object({
    id: z.uuid().meta({ description: "The seller's user id." }),
    username: z.string(),
    displayName: z.string(),
    avatarUrl,
    level: sellerLevel,
  }).meta({
    description: "The seller, as the users service last told gigs (a rename shows at once).",
  }),
  title: z.string(),
  description: z.string(),
  category: z.string().meta({ description: "Category slug (`GET /api/v1/gigs/categories`)." }),
  subcategory: z.string().meta({ description: "Subcategory slug, one of the category's." }),
  tags: z.array(z.string()).meta({ description: "Search keywords, lower-case." }),
  images: z.array(image).meta({
    description: "The first is the card's picture: uploaded images' public URLs first, then links.",
  }),
  imageMediaIds: z.array(z.uuid()).meta({
    description: "The uploaded images (media ids), in order; their URLs lead `images`.",
  }),
  packages: z.array(GigPackageView).meta({ description: "1-3 packages, cheapest tier first." }),
  requirements: z.array(RequirementView).meta({
    description: "Questions a buyer answers when ordering.",
  }),
  faq: z.array(z.object({ question: z.string(), answer: z.string() })),
  status: z.enum(["active", "paused"]).meta({
    description: "`active`: public, searchable and orderable; `paused`: hidden from everyone " +
      "but its seller, kept for later. A deleted gig is never shown (404).",
  }),
  rating,
  startingPrice: money.meta({ description: "The cheapest package's price." }),
  createdAt: z.iso.datetime().meta({ description: "When it was published (ISO 8601, UTC)." }),
  updatedAt: z.iso.datetime().meta({
    description: "Last change of content or status (ISO 8601, UTC).",
  }),
}).openapi("Gig");

/** `{ gig }`: the answer of every route about one gig. */
export const GigEnvelope = z.object({ gig: GigView }).openapi("GigEnvelope");

/** A result card: search results and favorites. */
export const GigCard = z.object({
  id: z.uuid(),
  title: z.string(),
  startingPrice: money.meta({ description: "The cheapest package's price." }),
  seller: z.object({
    username: z.string(),
    displayName: z.string(),
    level: sellerLevel,
    avatarUrl,
  }),
  rating,
  image: z.string().nullable().meta({ description: "The gig's first image, or null if none." }),
}).openapi("GigCard");

/** A card of the caller's own gig (`GET /gigs/mine`), with its status. */
export const OwnGigCard = GigCard.extend({
  status: z.enum(["active", "paused"]).meta({
    description: "`active`: public; `paused`: hidden from everyone but the caller.",
  }),
}).openapi("OwnGigCard");

const paging = {
  page: z.number().int().meta({ description: "The page asked for (1 unless given)." }),
  limit: z.number().int().meta({ description: "Cards per page (20 unless given)." }),
};

/** `GET /gigs/favorites`. */
export const FavoritesPage = z.object({
  items: z.array(GigCard).meta({
    description: "The caller's saved gigs that are active, most recently saved first " +
      "(a saved gig that is paused is kept but not listed).",
  }),
  ...paging,
  total: z.number().int().meta({ description: "How many such gigs over all pages." }),
}).openapi("FavoritesPage");

/** `GET /gigs/mine`. */
export const OwnGigsPage = z.object({
  items: z.array(OwnGigCard).meta({ description: "Active and paused gigs, newest first." }),
  ...paging,
  total: z.number().int().meta({ description: "How many over all pages." }),
}).openapi("OwnGigsPage");

const bucket = z.object({
  slug: z.string(),
  count: z.number().int().meta({ description: "Matching active gigs in it." }),
});

/** `GET /gigs`: one page of search results with the total and the facets. */
export const SearchResultPage = z.object({
  items: z.array(GigCard).meta({ description: "This page's cards, in the order of `sort`." }),
  ...paging,
  total: z.number().int().meta({
    description: `Matches of every filter, exact up to ${MATCH_CAP}; beyond it ${MATCH_CAP} ` +
      "with `totalExact: false`.",
  }),
  totalExact: z.boolean().meta({
    description: `False when more than ${MATCH_CAP} gigs match (show "${MATCH_CAP}+").`,
  }),
  correctedQuery: z.string().nullable().meta({
    description: "When the keywords as typed (and completed) match no gig but corrected " +
      "ones do, the keywords searched instead, e.g. `web design` for `web desgin`: the " +
      'results are theirs ("Showing results for …"). Null otherwise.',
  }),
  facets: z.object({
    categories: z.array(bucket).meta({
      description: "Per category slug: matches of the same search without the category and " +
        "subcategory filters, largest first (categories with no match are left out).",
    }),
    subcategories: z.array(bucket).optional().meta({
      description: "Only when `category` is given: per subcategory slug of that category, " +
        "matches of the same search without the subcategory filter, largest first.",
    }),
    approximate: z.boolean().meta({
      description: `True when the counts are of the first ${MATCH_CAP + 1} matches only ` +
        "(they show the spread, not exact numbers).",
    }),
  }),
}).openapi("GigSearchResult");

const categoryCount = z.number().int().meta({ description: "Active gigs in it." });

/** `GET /gigs/categories`: the fixed taxonomy with counts. */
export const CategoryList = z.object({
  categories: z.array(z.object({
    slug: z.string().meta({ description: "What gigs and the `category` filter use." }),
    name: z.string().meta({ description: "Display name." }),
    count: categoryCount,
    subcategories: z.array(z.object({
      slug: z.string().meta({ description: "What gigs and the `subcategory` filter use." }),
      name: z.string(),
      count: categoryCount,
    })),
  })).meta({ description: "Every category in display order, empty ones included." }),
}).openapi("GigCategories");

/** `GET /gigs/suggestions`: what completes or corrects what was typed. */
export const SuggestionList = z.object({
  query: z.string().meta({ description: "The text the suggestions are for (trimmed)." }),
  suggestions: z.array(z.object({
    kind: z.enum(["tag", "category", "title"]).meta({
      description: "`tag`: a whole tag of some gig; `category`: a category or subcategory " +
        "name; `title`: an active gig's title.",
    }),
    text: z.string().meta({ description: "What to show, and to search for." }),
    correction: z.boolean().meta({
      description: "True when it corrects a typo rather than completing what was typed; " +
        "completions come first.",
    }),
    category: z.string().optional().meta({ description: "`category` kind: its category slug." }),
    subcategory: z.string().optional().meta({
      description: "`category` kind, for a subcategory: its slug.",
    }),
    gigId: z.uuid().optional().meta({ description: "`title` kind: the gig's id." }),
  })).meta({ description: "At most 8: prefix completions first, then corrections." }),
}).openapi("GigSuggestions");
