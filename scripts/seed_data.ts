/**
 * The demo data of `deno task seed`, generated deterministically: each buyer,
 * seller and gig is a pure function of its index (and, for a gig, of the
 * number of sellers it is spread over), made with npm:@faker-js/faker seeded
 * with a fixed seed plus that index. Running the seed again, in any order and
 * with any concurrency, therefore asks for exactly the same data, which is what
 * makes it idempotent: a rerun finds every account and gig it would create.
 *
 * Nothing here talks to the network; seed.ts sends what these functions return.
 */
import {
  type Faker,
  faker,
  fakerAR,
  fakerDE,
  fakerEN_AU,
  fakerEN_CA,
  fakerEN_GB,
  fakerEN_IN,
  fakerEN_NG,
  fakerEN_US,
  fakerES,
  fakerES_MX,
  fakerFR,
  fakerIT,
  fakerJA,
  fakerNL,
  fakerPL,
  fakerPT_BR,
  fakerRO,
  fakerSV,
  fakerTR,
  fakerUK,
  fakerVI,
} from "@faker-js/faker";
import {
  CATEGORY_CONTENT,
  type CategoryContent,
  SERVICE_CONTENT,
  type ServiceContent,
} from "./seed_catalog.ts";

/** The fixed seed: changing it changes every generated value (and breaks idempotency). */
export const SEED = 20_250_611;

/** Dates in the data are relative to this year, not to the clock, so every run is identical. */
const REFERENCE_YEAR = 2025;

/** Images and avatars point at this host: public, never fetched by the server. */
export const IMAGE_HOST = "https://images.example.com";

/** The category taxonomy as `GET /api/v1/gigs/categories` answers it (counts ignored). */
export interface Taxonomy {
  categories: { slug: string; name: string; subcategories: { slug: string; name: string }[] }[];
}

/** Body of `PATCH /api/v1/users/me`. */
export interface ProfileBody {
  displayName: string;
  bio: string;
  country: string;
  languages: string[];
  avatarUrl: string | null;
  timeZone: string;
}

/** Body of `POST /api/v1/sellers`. */
export interface SellerBody {
  description: string;
  skills: string[];
  languages: { language: string; level: "basic" | "conversational" | "fluent" | "native" }[];
  education: {
    institution: string;
    degree: string;
    field: string;
    country: string;
    graduationYear: number;
  }[];
  certifications: { name: string; issuer: string; year: number }[];
  portfolio: { title: string; url: string; description: string }[];
}

/** Body of `POST /api/v1/gigs`. */
export interface GigBody {
  title: string;
  description: string;
  category: string;
  subcategory: string;
  tags: string[];
  images: string[];
  packages: {
    tier: "basic" | "standard" | "premium";
    name: string;
    description: string;
    price: { amount: number; currency: string };
    deliveryDays: number;
    revisions: number;
    features: string[];
  }[];
  requirements: {
    question: string;
    required: boolean;
    type: "text" | "choice";
    choices?: string[];
  }[];
  faq: { question: string; answer: string }[];
}

/** An account to sign up: the same for a given kind and index on every run. */
export interface AccountPlan {
  kind: "buyer" | "seller";
  /** 0-based. */
  index: number;
  username: string;
  email: string;
  profile: ProfileBody;
}

/** A seller: the account, the seller profile and what their gigs say about them. */
export interface SellerPlan extends AccountPlan {
  kind: "seller";
  seller: SellerBody;
  /** The category most of their gigs are in. */
  category: string;
  firstName: string;
  profession: string;
  years: number;
  currency: Currency;
}

/** A gig to publish. */
export interface GigPlan {
  /** 0-based, over all gigs. */
  index: number;
  /** 0-based index of its seller. */
  seller: number;
  body: GigBody;
}

type Currency = "USD" | "EUR" | "GBP" | "CAD" | "AUD";

interface Country {
  code: string;
  faker: Faker;
  /** Spoken languages, the first native. */
  languages: string[];
  timeZone: string;
  /** The local currency when a gig may be priced in it instead of USD. */
  currency?: Currency;
  /** How often it occurs, relative to the others. */
  weight: number;
}

// Where freelance marketplaces' users come from, roughly; names come from each country's locale.
const COUNTRIES: readonly Country[] = [
  { code: "US", faker: fakerEN_US, languages: ["en"], timeZone: "America/New_York", weight: 18 },
  {
    code: "US",
    faker: fakerEN_US,
    languages: ["en", "es"],
    timeZone: "America/Chicago",
    weight: 4,
  },
  {
    code: "US",
    faker: fakerEN_US,
    languages: ["en"],
    timeZone: "America/Los_Angeles",
    weight: 6,
  },
  {
    code: "GB",
    faker: fakerEN_GB,
    languages: ["en"],
    timeZone: "Europe/London",
    currency: "GBP",
    weight: 8,
  },
  { code: "IN", faker: fakerEN_IN, languages: ["hi", "en"], timeZone: "Asia/Kolkata", weight: 10 },
  { code: "NG", faker: fakerEN_NG, languages: ["en", "yo"], timeZone: "Africa/Lagos", weight: 4 },
  {
    code: "DE",
    faker: fakerDE,
    languages: ["de", "en"],
    timeZone: "Europe/Berlin",
    currency: "EUR",
    weight: 6,
  },
  {
    code: "FR",
    faker: fakerFR,
    languages: ["fr", "en"],
    timeZone: "Europe/Paris",
    currency: "EUR",
    weight: 4,
  },
  {
    code: "ES",
    faker: fakerES,
    languages: ["es", "en"],
    timeZone: "Europe/Madrid",
    currency: "EUR",
    weight: 4,
  },
  {
    code: "IT",
    faker: fakerIT,
    languages: ["it", "en"],
    timeZone: "Europe/Rome",
    currency: "EUR",
    weight: 3,
  },
  {
    code: "NL",
    faker: fakerNL,
    languages: ["nl", "en", "de"],
    timeZone: "Europe/Amsterdam",
    currency: "EUR",
    weight: 2,
  },
  { code: "PL", faker: fakerPL, languages: ["pl", "en"], timeZone: "Europe/Warsaw", weight: 3 },
  { code: "UA", faker: fakerUK, languages: ["uk", "en"], timeZone: "Europe/Kyiv", weight: 3 },
  {
    code: "RO",
    faker: fakerRO,
    languages: ["ro", "en", "fr"],
    timeZone: "Europe/Bucharest",
    weight: 2,
  },
  { code: "SE", faker: fakerSV, languages: ["sv", "en"], timeZone: "Europe/Stockholm", weight: 1 },
  { code: "TR", faker: fakerTR, languages: ["tr", "en"], timeZone: "Europe/Istanbul", weight: 2 },
  {
    code: "BR",
    faker: fakerPT_BR,
    languages: ["pt-BR", "en", "es"],
    timeZone: "America/Sao_Paulo",
    weight: 5,
  },
  {
    code: "MX",
    faker: fakerES_MX,
    languages: ["es", "en"],
    timeZone: "America/Mexico_City",
    weight: 3,
  },
  {
    code: "CA",
    faker: fakerEN_CA,
    languages: ["en", "fr"],
    timeZone: "America/Toronto",
    currency: "CAD",
    weight: 4,
  },
  {
    code: "AU",
    faker: fakerEN_AU,
    languages: ["en"],
    timeZone: "Australia/Sydney",
    currency: "AUD",
    weight: 3,
  },
  { code: "EG", faker: fakerAR, languages: ["ar", "en"], timeZone: "Africa/Cairo", weight: 2 },
  { code: "VN", faker: fakerVI, languages: ["vi", "en"], timeZone: "Asia/Ho_Chi_Minh", weight: 2 },
  { code: "JP", faker: fakerJA, languages: ["ja", "en"], timeZone: "Asia/Tokyo", weight: 1 },
];

// Separate streams per kind, so adding a field to one kind never shifts another's values.
const STREAM = { buyer: 1, seller: 2, gig: 3 } as const;

/** `seed_buyer_0001` for kind "buyer", index 0 and prefix "seed". */
export function usernameOf(prefix: string, kind: "buyer" | "seller", index: number): string {
  return `${prefix}_${kind}_${String(index + 1).padStart(4, "0")}`;
}

/** How many of `gigs` gigs seller `seller` gets (round-robin). */
export function gigCountOf(seller: number, sellers: number, gigs: number): number {
  return seller < gigs ? Math.floor((gigs - 1 - seller) / sellers) + 1 : 0;
}

/** A buyer's account and profile. */
export function planBuyer(prefix: string, index: number): AccountPlan {
  const person = planPerson(prefix, "buyer", index);
  return { kind: "buyer", index, ...person.account };
}

/** A seller's account, profile and seller profile; `taxonomy` chooses their main category. */
export function planSeller(prefix: string, index: number, taxonomy: Taxonomy): SellerPlan {
  const person = planPerson(prefix, "seller", index);
  faker.seed([SEED, STREAM.seller, index, 1]);
  const category = faker.helpers.arrayElement(taxonomy.categories);
  const content = categoryContent(category.slug, category.name);
  const profession = faker.helpers.arrayElement(content.professions);
  const years = faker.number.int({ min: 1, max: 15 });
  const projects = faker.helpers.arrayElement([40, 80, 150, 300, 500, 1000]);
  const skills = faker.helpers.arrayElements(content.skills, { min: 3, max: 6 });
  const native = person.country.languages[0];
  const languages: SellerBody["languages"] = person.country.languages.map((language, i) => ({
    language,
    level: i === 0 ? "native" : language === "en" ? "fluent" : "conversational",
  }));
  if (native !== "en" && !person.country.languages.includes("en")) {
    languages.push({ language: "en", level: "fluent" });
  }
  const description = [
    `I'm ${person.firstName}, ${article(profession)} ${profession} with ${years} year${
      years === 1 ? "" : "s"
    } of experience in ${category.name.toLowerCase()}.`,
    `Over the years I have completed more than ${projects} projects for ${
      faker.helpers.arrayElements(content.audiences, 2).map(plural).join(" and ")
    } around the world.`,
    `My toolkit: ${skills.join(", ")}.`,
    faker.helpers.arrayElement(CLOSINGS),
  ].join(" ");
  const education: SellerBody["education"] = faker.datatype.boolean(0.6)
    ? [{
      institution: `University of ${person.country.faker.location.city()}`.slice(0, 100),
      degree: faker.helpers.arrayElement([
        "Bachelor of Arts",
        "Bachelor of Science",
        "Master of Arts",
        "Master of Science",
        "Diploma",
      ]),
      field: faker.helpers.arrayElement(content.studies),
      country: person.country.code,
      graduationYear: REFERENCE_YEAR - years - faker.number.int({ min: 0, max: 4 }),
    }]
    : [];
  const certifications = faker.helpers.arrayElements(content.certifications, { min: 0, max: 2 })
    .map((c) => ({
      ...c,
      year: faker.number.int({ min: REFERENCE_YEAR - 10, max: REFERENCE_YEAR }),
    }));
  const subcategories = category.subcategories;
  const portfolio = Array.from({ length: faker.number.int({ min: 0, max: 3 }) }, (_, k) => {
    const client = faker.company.name();
    const work = faker.helpers.arrayElement(subcategories).name;
    return {
      title: `${work} for ${client}`.slice(0, 80),
      url: `https://portfolio.example.com/${person.account.username}/${k + 1}`,
      description: `${work} for ${client}, delivered in ${
        faker.number.int({ min: 2, max: 30 })
      } days.`,
    };
  });
  return {
    kind: "seller",
    index,
    ...person.account,
    seller: { description, skills, languages, education, certifications, portfolio },
    category: category.slug,
    firstName: person.firstName,
    profession,
    years,
    currency: person.country.currency ?? "USD",
  };
}

/**
 * The gigs of one seller, in index order: every gig `i < gigs` with
 * `i % sellers === seller.index`. A title that repeats one of the seller's
 * earlier titles is drawn again, so titles identify a seller's gigs (the seed
 * compares titles to find what is missing) and do not depend on later gigs.
 */
export function planSellerGigs(
  seller: SellerPlan,
  sellers: number,
  gigs: number,
  taxonomy: Taxonomy,
): GigPlan[] {
  const titles = new Set<string>();
  const plans: GigPlan[] = [];
  for (let index = seller.index; index < gigs; index += sellers) {
    let body: GigBody | undefined;
    for (let attempt = 0; !body || titles.has(body.title.toLowerCase()); attempt++) {
      body = planGig(seller, index, attempt, taxonomy);
      if (attempt >= 20) body.title = `${body.title.slice(0, 90)} (${plans.length + 1})`;
    }
    titles.add(body.title.toLowerCase());
    plans.push({ index, seller: seller.index, body });
  }
  return plans;
}

function planGig(seller: SellerPlan, index: number, attempt: number, taxonomy: Taxonomy): GigBody {
  faker.seed([SEED, STREAM.gig, index, attempt]);
  // Most gigs are in the seller's own category, a few in another one.
  const own = taxonomy.categories.find((c) => c.slug === seller.category);
  const category = own && faker.datatype.boolean(0.9)
    ? own
    : faker.helpers.arrayElement(taxonomy.categories);
  const subcategory = faker.helpers.arrayElement(category.subcategories);
  const content = categoryContent(category.slug, category.name);
  const service = serviceContent(subcategory.slug, subcategory.name);
  const style = faker.helpers.arrayElement(content.styles);
  const audience = faker.helpers.arrayElement(content.audiences);
  const action = fill(faker.helpers.arrayElement(service.titles), { style, audience });
  const title = `I will ${action}`.slice(0, 100);

  const tierCount = faker.helpers.weightedArrayElement([
    { value: 3, weight: 65 },
    { value: 2, weight: 20 },
    { value: 1, weight: 15 },
  ]);
  const tiers: GigBody["packages"][number]["tier"][] = tierCount === 3
    ? ["basic", "standard", "premium"]
    : tierCount === 1
    ? ["basic"]
    : faker.datatype.boolean(0.7)
    ? ["basic", "standard"]
    : ["basic", "premium"];
  const names = faker.helpers.arrayElement(PACKAGE_NAMES);
  const currency = seller.currency !== "USD" && faker.datatype.boolean(0.6)
    ? seller.currency
    : "USD";
  const basicPrice = nicePrice(faker.number.int({ min: service.price[0], max: service.price[1] }));
  const factors = { basic: 1, standard: faker.number.float({ min: 1.8, max: 2.6 }), premium: 0 };
  factors.premium = factors.standard * faker.number.float({ min: 1.6, max: 2.2 });
  const basicDays = faker.number.int({ min: service.days[0], max: service.days[1] });
  const basicRevisions = faker.number.int({ min: 0, max: 2 });
  let days = basicDays;
  let revisions = basicRevisions;
  let featureCount = faker.number.int({ min: 2, max: 3 });
  const packages: GigBody["packages"] = tiers.map((tier) => {
    const step = ["basic", "standard", "premium"].indexOf(tier);
    if (step > 0) {
      days = Math.min(90, days + faker.number.int({ min: 1, max: 2 + step * 2 }));
      revisions = Math.min(20, revisions + faker.number.int({ min: 1, max: 2 * step }));
      featureCount += faker.number.int({ min: 1, max: 3 });
    }
    return {
      tier,
      name: names[step],
      description: service.packages[step],
      price: { amount: nicePrice(basicPrice * factors[tier]) * 100, currency },
      deliveryDays: days,
      revisions,
      features: service.features.slice(0, Math.min(featureCount, 10)),
    };
  });

  const features = packages[packages.length - 1].features;
  const gigNumber = String(index + 1).padStart(6, "0");
  const description = [
    `Looking for ${
      article(style)
    } ${style} ${subcategory.name.toLowerCase()} for your ${audience}? You are in the right place.`,
    `I'm ${seller.firstName}, ${
      article(seller.profession)
    } ${seller.profession} with ${seller.years} year${
      seller.years === 1 ? "" : "s"
    } of experience. In this gig I will ${action}.`,
    `What you get:\n${features.map((f) => `- ${f}`).join("\n")}`,
    `Why work with me?\n${faker.helpers.arrayElements(REASONS, 3).map((r) => `- ${r}`).join("\n")}`,
    faker.helpers.arrayElement(CLOSINGS),
  ].join("\n\n");

  return {
    title,
    description,
    category: category.slug,
    subcategory: subcategory.slug,
    tags: faker.helpers.arrayElements(service.tags, { min: 3, max: 5 }),
    images: Array.from(
      { length: faker.number.int({ min: 1, max: 3 }) },
      (_, k) => `${IMAGE_HOST}/seed/gigs/${gigNumber}-${k + 1}.jpg`,
    ),
    packages,
    requirements: faker.helpers.arrayElements(content.requirements, { min: 1, max: 3 }).map((
      r,
    ) => ({
      question: r.question,
      required: r.required,
      type: r.type,
      ...(r.choices ? { choices: [...r.choices] } : {}),
    })),
    faq: faker.helpers.arrayElements(content.faq, { min: 2, max: 4 }).map((f) => ({ ...f })),
  };
}

interface Person {
  account: Omit<AccountPlan, "kind" | "index">;
  firstName: string;
  country: Country;
}

function planPerson(prefix: string, kind: "buyer" | "seller", index: number): Person {
  faker.seed([SEED, STREAM[kind], index]);
  const country = faker.helpers.weightedArrayElement(
    COUNTRIES.map((c) => ({ value: c, weight: c.weight })),
  );
  const hasAvatar = faker.datatype.boolean(kind === "seller" ? 0.95 : 0.7);
  const need = faker.helpers.arrayElement(NEEDS);
  const bio = kind === "seller"
    ? faker.helpers.arrayElement(SELLER_BIOS)
    : faker.helpers.arrayElement([
      `${faker.person.jobTitle()} at ${faker.company.name()}. I hire freelancers for ${need}.`,
      `Founder of ${faker.company.name()}. Always looking for great help with ${need}.`,
      `Small business owner. Mostly here for ${need}.`,
      "",
    ]);
  const languages = country.languages.includes("en") ? country.languages : [
    ...country.languages,
    "en",
  ];
  // Names come from the country's locale, seeded separately from the structural choices above.
  const local = country.faker;
  local.seed([SEED, STREAM[kind], index, 7]);
  const sex = local.person.sexType();
  const firstName = local.person.firstName(sex);
  const lastName = local.person.lastName(sex);
  const username = usernameOf(prefix, kind, index);
  return {
    account: {
      username,
      email: `${username}@example.com`,
      profile: {
        displayName: `${firstName} ${lastName}`.slice(0, 50),
        bio,
        country: country.code,
        languages,
        avatarUrl: hasAvatar ? `${IMAGE_HOST}/seed/avatars/${username}.jpg` : null,
        timeZone: country.timeZone,
      },
    },
    firstName,
    country,
  };
}

const PACKAGE_NAMES: readonly [string, string, string][] = [
  ["Basic", "Standard", "Premium"],
  ["Starter", "Professional", "Ultimate"],
  ["Essential", "Business", "Enterprise"],
  ["Lite", "Plus", "Pro"],
];

const REASONS = [
  "Fast replies, usually within an hour",
  "On-time delivery, every time",
  "Revisions until you are happy",
  "Clear communication from start to finish",
  "Hundreds of happy clients",
  "Every project is done by me, never outsourced",
  "Fair prices for professional quality",
];

const CLOSINGS = [
  "Send me a message before ordering and we will find the best package for you.",
  "Have a bigger project? Message me for a custom offer.",
  "I reply within a few hours and keep you updated at every step.",
  "Clear communication, on-time delivery and revisions until you are happy.",
  "Quality first: I only take on projects I can deliver on time.",
];

const SELLER_BIOS = [
  "Freelancer since the day I left my agency job. Coffee, deadlines, happy clients.",
  "Helping small businesses look and sound professional.",
  "Full-time freelancer. I treat every project like my own.",
  "Working remotely with clients from all over the world.",
  "Detail-oriented, deadline-driven, always learning.",
];

const NEEDS = [
  "logo and branding work",
  "website projects",
  "marketing campaigns",
  "video editing",
  "copywriting",
  "translations",
  "podcast production",
  "research and admin tasks",
];

// Wording for a category or subcategory the catalog does not describe (a taxonomy newer than it).
function categoryContent(slug: string, name: string): CategoryContent {
  return CATEGORY_CONTENT[slug] ?? {
    professions: [`${name.toLowerCase()} specialist`, "freelancer"],
    skills: [name.slice(0, 40), "Communication", "Project management", "Research"],
    styles: ["professional", "reliable", "custom", "fast"],
    audiences: ["business", "startup", "brand", "project"],
    studies: ["Business Administration"],
    certifications: [],
    requirements: [{ question: "Tell me about your project.", type: "text", required: true }],
    faq: [
      { question: "Can we talk first?", answer: "Yes, send me a message before ordering." },
      { question: "Do you offer revisions?", answer: "Yes, as listed in each package." },
    ],
  };
}

function serviceContent(slug: string, name: string): ServiceContent {
  const lower = name.toLowerCase();
  return SERVICE_CONTENT[slug] ?? {
    titles: [`do {style} ${lower} for your {audience}`, `provide ${lower} for your {audience}`],
    tags: [lower.replace(/[^\p{L}\p{N} -]/gu, " ").replace(/\s+/g, " ").trim().slice(0, 30)],
    packages: ["A small task", "A medium project", "A complete project"],
    features: ["Revisions", "Source files", "Commercial use", "Priority support"],
    price: [20, 200],
    days: [2, 7],
  };
}

/** Fills `{name}` placeholders and fixes "a" before a vowel sound. */
function fill(template: string, values: Record<string, string>): string {
  const text = template.replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? key);
  return text.replace(
    /\b([Aa]) (\w+)/g,
    (match, a: string, word: string) => article(word) === "an" ? `${a}n ${word}` : match,
  );
}

/** "a" or "an" for a word (good enough for the catalog's words). */
function article(word: string): "a" | "an" {
  return /^(?:[aeio]|u(?!ni|s[aeu])|SEO\b)/i.test(word) ? "an" : "a";
}

/** English plural of a noun phrase (its last word). */
function plural(phrase: string): string {
  if (/[^aeiou]y$/.test(phrase)) return `${phrase.slice(0, -1)}ies`;
  if (/(s|sh|ch|x)$/.test(phrase)) return `${phrase}es`;
  return `${phrase}s`;
}

/** A price in whole currency units rounded the way sellers price: 5, 10, 25 or 50 steps. */
function nicePrice(value: number): number {
  const step = value < 50 ? 5 : value < 200 ? 10 : value < 1000 ? 25 : 50;
  return Math.max(step, Math.round(value / step) * step);
}
