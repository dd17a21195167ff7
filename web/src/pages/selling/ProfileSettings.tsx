/**
 * /settings/profile: the fields of the profile the users API lets its owner change, and for a
 * seller the seller profile (`PATCH /sellers/me`) that the public seller page shows.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link } from "react-router";
import { RequireAuth } from "../../routes/RequireAuth.tsx";
import { sentenceOf } from "../../forms/errors.ts";
import { ApiError } from "../../api/client.ts";
import { Alert, Button, Card, Input, PageTitle, Skeleton } from "../../ui/index.ts";
import { api } from "../../api/client.ts";
import { errorsOf, type Profile, type SellerBody, sellingKeys, useMe, useUpdateProfile } from "./api.ts";
import { FormAlert, TextArea } from "./parts.tsx";
import { bodyOf, draftOf, type SellerDraft, SellerFields, sellerPointers } from "./SellerFields.tsx";
import { SellingNav } from "./SellingNav.tsx";
import { AvatarSettings } from "./AvatarSettings.tsx";

export default function ProfileSettings() {
  return (
    <RequireAuth>
      <div className="mx-auto flex max-w-2xl flex-col gap-6">
        <PageTitle title="Profile settings">Profile settings</PageTitle>
        <Loaded />
      </div>
    </RequireAuth>
  );
}

function Loaded() {
  const me = useMe();
  if (me.isPending) return <Skeleton className="h-96 w-full" />;
  if (me.isError) {
    return (
      <Alert tone="error">
        {me.error instanceof ApiError ? sentenceOf(me.error) : "Could not load your profile."}{" "}
        <button type="button" className="underline" onClick={() => me.refetch()}>Try again</button>
      </Alert>
    );
  }
  const seller = me.data.seller;
  return (
    <>
      {seller && <SellingNav />}
      <AvatarSettings profile={me.data} />
      <ProfileForm profile={me.data} />
      {seller && <SellerProfileForm username={me.data.username} seller={seller} />}
    </>
  );
}

/**
 * Saves changes to the caller's seller profile (`PATCH /sellers/me`: the fields given, a list
 * replacing the old one); the public seller pages (`["sellers", username]`, any spelling of the
 * name) are asked again. Here, not in ./api.ts, whose hooks the header puts in the home page's
 * bundle.
 */
function useUpdateSeller() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (patch: Partial<SellerBody>) => api<Profile>("PATCH", "/api/v1/sellers/me", { body: patch }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: sellingKeys.me });
      void queryClient.invalidateQueries({ queryKey: ["sellers"] });
    },
  });
}

const SHOWN = ["/displayName", "/avatarUrl", "/country", "/timeZone", "/bio"];

function ProfileForm({ profile }: { profile: Profile }) {
  const update = useUpdateProfile();
  const [form, setForm] = useState({
    displayName: profile.displayName,
    avatarUrl: profile.avatarUrl ?? "",
    country: profile.country ?? "",
    timeZone: profile.timeZone ?? "",
    bio: profile.bio,
  });
  // The link as stored; an upload (AvatarSettings) changes it, and an untouched field follows.
  const [shownAvatar, setShownAvatar] = useState(profile.avatarUrl ?? "");
  if ((profile.avatarUrl ?? "") !== shownAvatar) {
    setShownAvatar(profile.avatarUrl ?? "");
    if (form.avatarUrl === shownAvatar) setForm({ ...form, avatarUrl: profile.avatarUrl ?? "" });
  }
  const errors = errorsOf(update.error);
  const set = (name: keyof typeof form) => (event: { target: { value: string } }) =>
    setForm({ ...form, [name]: event.target.value });

  function submit(event: FormEvent) {
    event.preventDefault();
    update.mutate({
      displayName: form.displayName,
      // Only when edited here: an uploaded picture saved meanwhile must not be put back.
      ...(form.avatarUrl !== shownAvatar
        ? { avatarUrl: form.avatarUrl.trim() || null }
        : {}),
      country: form.country.trim().toUpperCase() || null,
      timeZone: form.timeZone.trim() || null,
      bio: form.bio,
    });
  }

  return (
    <Card>
      <form noValidate onSubmit={submit} className="flex flex-col gap-4">
        <p className="text-sm text-ink-600">
          Signed in as <strong>{profile.username}</strong> ({profile.email}).
        </p>
        {update.isSuccess && <Alert tone="success">Your profile is saved.</Alert>}
        <FormAlert errors={errors} shown={SHOWN} />
        <Input label="Display name" value={form.displayName} onChange={set("displayName")}
          error={errors.fields["/displayName"]} />
        <Input label="Avatar URL" type="url" value={form.avatarUrl} onChange={set("avatarUrl")}
          hint="A public https link to a picture, or empty for none." error={errors.fields["/avatarUrl"]} />
        <div className="grid gap-4 sm:grid-cols-2">
          <Input label="Country" value={form.country} onChange={set("country")} maxLength={2}
            hint="Two-letter code, e.g. DE." error={errors.fields["/country"]} />
          <Input label="Time zone" value={form.timeZone} onChange={set("timeZone")}
            hint="e.g. Europe/Berlin" error={errors.fields["/timeZone"]} />
        </div>
        <TextArea label="Bio" value={form.bio} onChange={set("bio")} maxLength={600}
          hint="Up to 600 characters." error={errors.fields["/bio"]} />
        <div>
          <Button type="submit" busy={update.isPending}>Save profile</Button>
        </div>
      </form>
    </Card>
  );
}

/**
 * The seller profile, sent as only the fields that changed (a PATCH repeating stored values
 * would be accepted, but an untouched field should never be refused for rules added since).
 */
function SellerProfileForm({ username, seller }: { username: string; seller: SellerBody }) {
  const update = useUpdateSeller();
  const [saved, setSaved] = useState(() => bodyOf(draftOf(seller)));
  const [draft, setDraft] = useState(() => draftOf(seller));
  const [unchanged, setUnchanged] = useState(false);
  const errors = errorsOf(update.error);

  // Once the form changes again, "saved" is no longer true; field errors stay until the next try.
  function edit(next: SellerDraft) {
    setDraft(next);
    setUnchanged(false);
    if (update.isSuccess) update.reset();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const body = bodyOf(draft);
    const patch = Object.fromEntries(
      (Object.keys(body) as (keyof SellerBody)[])
        .filter((key) => JSON.stringify(body[key]) !== JSON.stringify(saved[key]))
        .map((key) => [key, body[key]]),
    ) as Partial<SellerBody>;
    setUnchanged(Object.keys(patch).length === 0);
    if (Object.keys(patch).length === 0) return update.reset();
    update.mutate(patch, {
      onSuccess: (profile) => {
        if (!profile.seller) return;
        // The API trims and normalises: show what it stored.
        setSaved(bodyOf(draftOf(profile.seller)));
        setDraft(draftOf(profile.seller));
      },
    });
  }

  return (
    <section aria-labelledby="seller-profile" className="flex flex-col gap-4">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="seller-profile" className="text-xl font-semibold text-ink-900">Seller profile</h2>
        <Link to={`/sellers/${username}`} className="text-sm font-semibold text-brand-700 hover:underline">
          View your public profile
        </Link>
      </div>
      <form noValidate onSubmit={submit} aria-labelledby="seller-profile" className="flex flex-col gap-6">
        <FormAlert errors={errors} shown={sellerPointers(errors.fields)} />
        <SellerFields draft={draft} setDraft={edit} fields={errors.fields} />
        {/* The outcome beside the button the person just pressed, at the end of a long form. */}
        <div className="flex flex-col gap-3 sm:flex-row sm:items-center">
          <Button type="submit" busy={update.isPending} className="self-start">Save seller profile</Button>
          {update.isSuccess && <Alert tone="success">Your seller profile is saved.</Alert>}
          {unchanged && <Alert>Nothing has changed, so there is nothing to save.</Alert>}
        </div>
      </form>
    </section>
  );
}
