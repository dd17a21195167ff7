/**
 * Seller profiles: what a seller may write (every list bounded, every link a
 * public https URL) and how a seller profile is shown.
 */
import { z } from "zod";
import {
  countrySchema,
  languageTag,
  line,
  notEmpty,
  paragraph,
  uniqueBy,
  yearSchema,
} from "./fields.ts";
import type { SellerLevel } from "./level.ts";
import { publicHttpsUrl } from "@mp/shared/public_link";

/** Proficiency levels, as on Fiverr. */
export const LANGUAGE_LEVELS = ["basic", "conversational", "fluent", "native"] as const;

/** Limits of a seller profile (also in the README). */
export const SELLER_LIMITS = {
  description: { min: 20, max: 1200 },
  skills: 15,
  skill: 40,
  languages: 10,
  education: 10,
  certifications: 20,
  portfolio: 20,
} as const;

const sellerLanguage = z.strictObject({
  language: languageTag,
  level: z.enum(LANGUAGE_LEVELS),
});

const education = z.strictObject({
  institution: line(100),
  degree: line(100),
  field: line(100).nullable().default(null),
  country: countrySchema.nullable().default(null),
  graduationYear: yearSchema.nullable().default(null),
});

const certification = z.strictObject({
  name: line(100),
  issuer: line(100),
  year: yearSchema,
});

const portfolioItem = z.strictObject({
  title: line(80),
  url: publicHttpsUrl,
  description: paragraph(300, 0).nullable().default(null),
});

const fields = {
  description: paragraph(SELLER_LIMITS.description.max, SELLER_LIMITS.description.min),
  skills: z.array(line(SELLER_LIMITS.skill)).min(1).max(SELLER_LIMITS.skills)
    .superRefine(uniqueBy((skill: string) => skill)),
  languages: z.array(sellerLanguage).min(1).max(SELLER_LIMITS.languages)
    .superRefine(uniqueBy((item: { language: string }) => item.language)),
  education: z.array(education).max(SELLER_LIMITS.education),
  certifications: z.array(certification).max(SELLER_LIMITS.certifications),
  portfolio: z.array(portfolioItem).max(SELLER_LIMITS.portfolio)
    .superRefine(uniqueBy((item: { url: string }) => item.url)),
};

/** Body of `POST /sellers`. Level, ratings and dates are the service's, never the client's. */
export const sellerCreateSchema = z.strictObject({
  description: fields.description,
  skills: fields.skills,
  languages: fields.languages,
  education: fields.education.default([]),
  certifications: fields.certifications.default([]),
  portfolio: fields.portfolio.default([]),
});

/** Body of `PATCH /sellers/me`: any of the same fields, at least one; a list replaces the old one. */
export const sellerPatchSchema = z.strictObject({
  description: fields.description.optional(),
  skills: fields.skills.optional(),
  languages: fields.languages.optional(),
  education: fields.education.optional(),
  certifications: fields.certifications.optional(),
  portfolio: fields.portfolio.optional(),
}).refine(notEmpty, "Give at least one field to change.");

/** What a seller writes. */
export type SellerInput = z.infer<typeof sellerCreateSchema>;
/** A seller's spoken language. */
export type SellerLanguage = z.infer<typeof sellerLanguage>;

/** A seller as stored. */
export interface SellerRow {
  user_id: string;
  description: string;
  skills: string[];
  languages: SellerLanguage[];
  education: SellerInput["education"];
  certifications: SellerInput["certifications"];
  portfolio: SellerInput["portfolio"];
  level: SellerLevel;
  created_at: Date;
  updated_at: Date;
  version: number;
}

/** A seller profile as shown to anyone. */
export interface SellerView {
  description: string;
  skills: string[];
  languages: SellerLanguage[];
  education: SellerInput["education"];
  certifications: SellerInput["certifications"];
  portfolio: SellerInput["portfolio"];
  level: SellerLevel;
  sellerSince: string;
}

/** Maps a stored seller to its public shape. */
export function sellerView(row: SellerRow): SellerView {
  return {
    description: row.description,
    skills: row.skills,
    languages: row.languages,
    education: row.education,
    certifications: row.certifications,
    portfolio: row.portfolio,
    level: row.level,
    sellerSince: row.created_at.toISOString(),
  };
}
