/**
 * The fixed category taxonomy. Gigs name a category and one of its
 * subcategories by slug; anything else is a 400. Changing this list is a code
 * change (and, for a removed slug, a data migration), never a client's choice.
 */

/** A subcategory: slug (what gigs store and URLs carry) and display name. */
export interface Subcategory {
  slug: string;
  name: string;
}

/** A top-level category with its subcategories. */
export interface Category {
  slug: string;
  name: string;
  subcategories: readonly Subcategory[];
}

const sub = (slug: string, name: string): Subcategory => ({ slug, name });

/** Every category, in display order. Subcategory slugs are unique across the taxonomy. */
export const TAXONOMY: readonly Category[] = [
  {
    slug: "graphics-design",
    name: "Graphics & Design",
    subcategories: [
      sub("logo-design", "Logo Design"),
      sub("brand-style-guides", "Brand Style Guides"),
      sub("illustration", "Illustration"),
      sub("web-design", "Website Design"),
      sub("packaging-design", "Packaging & Label Design"),
      sub("social-media-design", "Social Media Design"),
    ],
  },
  {
    slug: "programming-tech",
    name: "Programming & Tech",
    subcategories: [
      sub("web-development", "Website Development"),
      sub("mobile-apps", "Mobile App Development"),
      sub("wordpress", "WordPress"),
      sub("ecommerce-development", "E-Commerce Development"),
      sub("data-science", "Data Science & ML"),
      sub("devops-cloud", "DevOps & Cloud"),
    ],
  },
  {
    slug: "writing-translation",
    name: "Writing & Translation",
    subcategories: [
      sub("articles-blog-posts", "Articles & Blog Posts"),
      sub("copywriting", "Copywriting"),
      sub("translation", "Translation"),
      sub("proofreading-editing", "Proofreading & Editing"),
      sub("resume-writing", "Resume Writing"),
    ],
  },
  {
    slug: "digital-marketing",
    name: "Digital Marketing",
    subcategories: [
      sub("seo", "Search Engine Optimization"),
      sub("social-media-marketing", "Social Media Marketing"),
      sub("email-marketing", "Email Marketing"),
      sub("content-marketing", "Content Marketing"),
      sub("search-engine-marketing", "Search Engine Marketing"),
    ],
  },
  {
    slug: "video-animation",
    name: "Video & Animation",
    subcategories: [
      sub("video-editing", "Video Editing"),
      sub("animated-explainers", "Animated Explainers"),
      sub("logo-animation", "Logo Animation"),
      sub("short-video-ads", "Short Video Ads"),
    ],
  },
  {
    slug: "music-audio",
    name: "Music & Audio",
    subcategories: [
      sub("voice-over", "Voice Over"),
      sub("mixing-mastering", "Mixing & Mastering"),
      sub("music-production", "Music Production"),
      sub("podcast-editing", "Podcast Editing"),
    ],
  },
  {
    slug: "business",
    name: "Business",
    subcategories: [
      sub("virtual-assistant", "Virtual Assistant"),
      sub("market-research", "Market Research"),
      sub("business-plans", "Business Plans"),
      sub("financial-consulting", "Financial Consulting"),
    ],
  },
];

const categories = new Map(TAXONOMY.map((category) => [category.slug, category]));
const parentOf = new Map(
  TAXONOMY.flatMap((category) => category.subcategories.map((s) => [s.slug, category.slug])),
);

/** `true` for a category slug of the taxonomy. */
export function isCategory(slug: string): boolean {
  return categories.has(slug);
}

/** The category a subcategory belongs to, or undefined for an unknown slug. */
export function categoryOf(subcategory: string): string | undefined {
  return parentOf.get(subcategory);
}

/** `true` when `subcategory` is one of `category`'s subcategories. */
export function belongsTo(category: string, subcategory: string): boolean {
  return parentOf.get(subcategory) === category;
}
