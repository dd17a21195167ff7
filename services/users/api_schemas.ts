/**
 * What a client receives from the users service, for its OpenAPI document
 * (profile.ts, seller.ts and ratings.ts build these shapes).
 */
import { z } from "zod";
import { ratingSummary } from "@mp/shared/api_schemas";
import { SELLER_LEVELS } from "./level.ts";
import { LANGUAGE_LEVELS } from "./seller.ts";

const SellerView = z.object({
  description: z.string(),
  skills: z.array(z.string()),
  languages: z.array(z.object({
    language: z.string().meta({ description: "BCP 47 language tag, e.g. `en`, `pt-BR`." }),
    level: z.enum(LANGUAGE_LEVELS),
  })),
  education: z.array(z.object({
    institution: z.string(),
    degree: z.string(),
    field: z.string().nullable(),
    country: z.string().nullable().meta({ description: "ISO 3166-1 alpha-2 code." }),
    graduationYear: z.number().int().nullable(),
  })),
  certifications: z.array(z.object({
    name: z.string(),
    issuer: z.string(),
    year: z.number().int(),
  })),
  portfolio: z.array(z.object({
    title: z.string(),
    url: z.string().meta({ description: "A public https link." }),
    description: z.string().nullable(),
  })),
  level: z.enum(SELLER_LEVELS).meta({
    description: "Seller level, computed from completed orders, rating and age.",
  }),
  sellerSince: z.iso.datetime().meta({ description: "When the seller profile was created." }),
}).openapi("SellerProfile");

/** A user's public profile (`GET /users/{username}`, `GET /sellers/{username}`). */
export const PublicProfile = z.object({
  username: z.string(),
  displayName: z.string(),
  avatarUrl: z.string().nullable().meta({ description: "A public https link, or null." }),
  country: z.string().nullable().meta({ description: "ISO 3166-1 alpha-2 code, or null." }),
  bio: z.string(),
  languages: z.array(z.string()).meta({ description: "BCP 47 language tags." }),
  memberSince: z.iso.datetime(),
  isSeller: z.boolean(),
  seller: SellerView.optional().meta({ description: "Present when the user is a seller." }),
  ratings: z.object({
    asSeller: ratingSummary("Reviews buyers gave this user."),
    asBuyer: ratingSummary("Reviews sellers gave this user."),
  }),
}).openapi("PublicProfile");

/** The caller's own profile: the public one plus private fields. */
export const PrivateProfile = PublicProfile.extend({
  email: z.string(),
  emailVerified: z.boolean(),
  timeZone: z.string().nullable().meta({ description: "IANA time zone, or null." }),
}).openapi("PrivateProfile");
