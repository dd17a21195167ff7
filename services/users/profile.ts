/**
 * Profiles: what a user may change about theirs, and the public and private
 * shapes a profile is shown in. The public shape never carries the email or any
 * other private field.
 */
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import {
  countrySchema,
  languageTag,
  line,
  notEmpty,
  paragraph,
  timeZoneSchema,
  uniqueBy,
} from "./fields.ts";
import { type RatingCounts, type RatingRole, type RatingSummary, summarize } from "./ratings.ts";
import { type SellerRow, type SellerView, sellerView } from "./seller.ts";
import { publicHttpsUrl } from "@mp/shared/public_link";

/** Limits of a profile (also in the README). */
export const PROFILE_LIMITS = { displayName: 50, bio: 600, languages: 10 } as const;

/**
 * Body of `PATCH /users/me`. Strict: username, ratings, level, ids and dates are
 * not fields here, so sending one is a 400 naming it, never silently dropped.
 * `null` clears an optional field.
 */
export const profilePatchSchema = z.strictObject({
  displayName: line(PROFILE_LIMITS.displayName).optional(),
  bio: paragraph(PROFILE_LIMITS.bio, 0).optional(),
  country: countrySchema.nullable().optional(),
  languages: z.array(languageTag).max(PROFILE_LIMITS.languages)
    .superRefine(uniqueBy((tag: string) => tag)).optional(),
  avatarUrl: publicHttpsUrl.nullable().optional(),
  // A file the caller uploaded as `avatar` (media service); its public URL becomes `avatarUrl`.
  avatarMediaId: z.uuid().optional().meta({
    description: "An avatar the caller uploaded (media service); its public URL becomes avatarUrl.",
  }),
  timeZone: timeZoneSchema.nullable().optional(),
}).refine(notEmpty, "Give at least one field to change.").superRefine((patch, ctx) => {
  if (patch.avatarUrl !== undefined && patch.avatarMediaId !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["avatarMediaId"],
      message: "Give avatarUrl or avatarMediaId, not both.",
    });
  }
});

/** A validated profile change, with an avatar's media id already turned into its URL. */
export type ProfilePatch = Omit<z.infer<typeof profilePatchSchema>, "avatarMediaId">;

/** A profile as stored. */
export interface ProfileRow {
  user_id: string;
  username: string;
  email: string;
  display_name: string;
  bio: string;
  country: string | null;
  languages: string[];
  avatar_url: string | null;
  time_zone: string | null;
  member_since: Date;
  updated_at: Date;
  version: number;
}

/** The fields of a profile its owner can change, in stored form. */
export type EditableProfile = Pick<
  ProfileRow,
  "display_name" | "bio" | "country" | "languages" | "avatar_url" | "time_zone"
>;

/**
 * Applies a patch to the current values. Returns the new values and the names
 * of the fields that really change (empty when the patch repeats what is stored).
 */
export function applyProfilePatch(
  current: EditableProfile,
  patch: ProfilePatch,
): { next: EditableProfile; changed: (keyof ProfilePatch)[] } {
  const next: EditableProfile = {
    display_name: patch.displayName ?? current.display_name,
    bio: patch.bio ?? current.bio,
    country: patch.country === undefined ? current.country : patch.country,
    languages: patch.languages ?? current.languages,
    avatar_url: patch.avatarUrl === undefined ? current.avatar_url : patch.avatarUrl,
    time_zone: patch.timeZone === undefined ? current.time_zone : patch.timeZone,
  };
  const pairs: [keyof ProfilePatch, keyof EditableProfile][] = [
    ["displayName", "display_name"],
    ["bio", "bio"],
    ["country", "country"],
    ["languages", "languages"],
    ["avatarUrl", "avatar_url"],
    ["timeZone", "time_zone"],
  ];
  const changed = pairs.filter(([, column]) => !isDeepStrictEqual(next[column], current[column]))
    .map(([field]) => field);
  return { next, changed };
}

/** Everything shown about one user, read together. */
export interface ProfileBundle {
  profile: ProfileRow;
  emailVerified: boolean;
  seller: SellerRow | undefined;
  ratings: Record<RatingRole, RatingCounts>;
}

/** A profile as anyone may see it. */
export interface PublicProfile {
  username: string;
  displayName: string;
  avatarUrl: string | null;
  country: string | null;
  bio: string;
  languages: string[];
  memberSince: string;
  isSeller: boolean;
  seller?: SellerView;
  ratings: { asSeller: RatingSummary; asBuyer: RatingSummary };
}

/** The owner's own profile: the public one plus private fields. */
export interface PrivateProfile extends PublicProfile {
  email: string;
  emailVerified: boolean;
  timeZone: string | null;
}

/** Maps a bundle to its public shape (built field by field: nothing private can slip in). */
export function publicProfile(bundle: ProfileBundle): PublicProfile {
  const { profile, seller, ratings } = bundle;
  return {
    username: profile.username,
    displayName: profile.display_name,
    avatarUrl: profile.avatar_url,
    country: profile.country,
    bio: profile.bio,
    languages: profile.languages,
    memberSince: profile.member_since.toISOString(),
    isSeller: seller !== undefined,
    ...(seller ? { seller: sellerView(seller) } : {}),
    ratings: { asSeller: summarize(ratings.seller), asBuyer: summarize(ratings.buyer) },
  };
}

/** Maps a bundle to the owner's view. */
export function privateProfile(bundle: ProfileBundle): PrivateProfile {
  return {
    ...publicProfile(bundle),
    email: bundle.profile.email,
    emailVerified: bundle.emailVerified,
    timeZone: bundle.profile.time_zone,
  };
}
