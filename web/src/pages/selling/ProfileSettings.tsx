/** /settings/profile: the fields of the profile the users API lets its owner change. */
import { type FormEvent, useState } from "react";
import { RequireAuth } from "../../routes/RequireAuth.tsx";
import { sentenceOf } from "../../forms/errors.ts";
import { ApiError } from "../../api/client.ts";
import { Alert, Button, Card, Input, PageTitle, Skeleton } from "../../ui/index.ts";
import { errorsOf, type Profile, useMe, useUpdateProfile } from "./api.ts";
import { FormAlert, TextArea } from "./parts.tsx";

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
  return <ProfileForm profile={me.data} />;
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
  const errors = errorsOf(update.error);
  const set = (name: keyof typeof form) => (event: { target: { value: string } }) =>
    setForm({ ...form, [name]: event.target.value });

  function submit(event: FormEvent) {
    event.preventDefault();
    update.mutate({
      displayName: form.displayName,
      avatarUrl: form.avatarUrl.trim() || null,
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
