import assert from "node:assert/strict";
import {
  applyProfilePatch,
  type EditableProfile,
  privateProfile,
  type ProfileBundle,
  profilePatchSchema,
  publicProfile,
} from "./profile.ts";
import { NO_RATINGS } from "./ratings.ts";
import { sellerCreateSchema } from "./seller.ts";

const current: EditableProfile = {
  display_name: "ada",
  bio: "",
  country: "DE",
  languages: ["en"],
  avatar_url: null,
  time_zone: null,
};

Deno.test("profilePatchSchema names every field a user may not set, and accepts null to clear", () => {
  const result = profilePatchSchema.safeParse({
    displayName: "Ada",
    username: "root",
    level: "top_rated",
    createdAt: "2020-01-01",
  });
  assert.equal(result.success, false);
  const keys = result.error!.issues.flatMap((issue) =>
    issue.code === "unrecognized_keys" ? issue.keys : []
  );
  assert.deepEqual(keys.sort(), ["createdAt", "level", "username"]);
  assert.deepEqual(profilePatchSchema.parse({ avatarUrl: null, country: null }), {
    avatarUrl: null,
    country: null,
  });
  assert.equal(profilePatchSchema.safeParse({}).success, false);
});

Deno.test("profilePatchSchema trims text, keeps line breaks in the bio and canonicalizes time zones", () => {
  const parsed = profilePatchSchema.parse({
    displayName: "  Ada L. ",
    bio: "  line one\r\nline two  ",
    timeZone: "utc",
  });
  assert.equal(parsed.displayName, "Ada L.");
  assert.equal(parsed.bio, "line one\nline two");
  assert.equal(parsed.timeZone, "UTC");
  assert.equal(profilePatchSchema.parse({ timeZone: "europe/berlin" }).timeZone, "Europe/Berlin");
  for (
    const bad of [
      { displayName: "" },
      { displayName: "   " },
      { displayName: "a\u0000b" },
      { displayName: "a\nb" },
      { bio: "bell\u0007" },
      { timeZone: "Mars/Olympus_Mons" },
      { languages: ["en", "en"] },
      { languages: ["english"] },
      { country: "de" },
    ]
  ) {
    assert.equal(profilePatchSchema.safeParse(bad).success, false, JSON.stringify(bad));
  }
});

Deno.test("applyProfilePatch() reports only the fields that really change", () => {
  assert.deepEqual(
    applyProfilePatch(current, { displayName: "ada", languages: ["en"] }).changed,
    [],
  );
  const { next, changed } = applyProfilePatch(current, { country: null, bio: "Hi" });
  assert.deepEqual(changed.sort(), ["bio", "country"]);
  assert.equal(next.country, null);
  assert.equal(next.display_name, "ada");
});

Deno.test("publicProfile() carries no private field; privateProfile() adds email, verification and time zone", () => {
  const bundle: ProfileBundle = {
    profile: {
      user_id: "3b0e4c7e-5a52-4a8e-9a53-8d1f0f1f2a11",
      username: "ada",
      email: "ada@example.com",
      display_name: "Ada",
      bio: "",
      country: null,
      languages: [],
      avatar_url: null,
      time_zone: "Europe/Berlin",
      member_since: new Date("2026-01-01T00:00:00Z"),
      updated_at: new Date(),
      version: 3,
    },
    emailVerified: true,
    seller: undefined,
    ratings: { seller: NO_RATINGS, buyer: NO_RATINGS },
  };
  const open = publicProfile(bundle);
  const text = JSON.stringify(open);
  for (const secret of ["ada@example.com", "3b0e4c7e", "Europe/Berlin", "version"]) {
    assert.ok(!text.includes(secret), secret);
  }
  assert.equal(open.isSeller, false);
  assert.equal("seller" in open, false);
  const own = privateProfile(bundle);
  assert.equal(own.email, "ada@example.com");
  assert.equal(own.emailVerified, true);
  assert.equal(own.timeZone, "Europe/Berlin");
});

Deno.test("sellerCreateSchema fills optional lists and nulls, and rejects repeats and read-only fields", () => {
  const parsed = sellerCreateSchema.parse({
    description: "Twenty characters or more, surely.",
    skills: ["Logo design"],
    languages: [{ language: "en", level: "native" }],
  });
  assert.deepEqual(parsed.education, []);
  assert.deepEqual(parsed.portfolio, []);
  const withItems = sellerCreateSchema.parse({
    ...parsed,
    education: [{ institution: "MIT", degree: "BSc" }],
    portfolio: [{ title: "Logo", url: "https://example.com/logo" }],
  });
  assert.deepEqual(withItems.education[0], {
    institution: "MIT",
    degree: "BSc",
    field: null,
    country: null,
    graduationYear: null,
  });
  assert.equal(withItems.portfolio[0].description, null);
  for (
    const bad of [
      { ...parsed, skills: ["Logo", "logo"] },
      {
        ...parsed,
        languages: [{ language: "en", level: "native" }, { language: "en", level: "basic" }],
      },
      { ...parsed, languages: [{ language: "en", level: "expert" }] },
      { ...parsed, level: "top_rated" },
      { ...parsed, description: "too short" },
      { ...parsed, certifications: [{ name: "X", issuer: "Y", year: 1800 }] },
    ]
  ) {
    assert.equal(sellerCreateSchema.safeParse(bad).success, false, JSON.stringify(bad));
  }
});
