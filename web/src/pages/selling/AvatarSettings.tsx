/**
 * The profile picture in profile settings: the current one, an upload that becomes the avatar
 * at once (`PATCH /users/me` with `avatarMediaId`), and removing it. The header and the public
 * profile read the same profile query, so they show the new picture after the save.
 */
import { Alert, Button, Card } from "../../ui/index.ts";
import { FileUpload } from "../../media/index.ts";
import { errorsOf, type Profile, useUpdateProfile } from "./api.ts";

export function AvatarSettings({ profile }: { profile: Profile }) {
  const update = useUpdateProfile();
  const errors = errorsOf(update.error);
  const refusal = errors.fields["/avatarMediaId"] ?? errors.fields["/avatarUrl"] ?? errors.form;
  return (
    <Card className="flex flex-col gap-4">
      <h2 className="text-lg font-semibold text-ink-900">Profile picture</h2>
      <div className="flex flex-col gap-4 sm:flex-row sm:items-start">
        {profile.avatarUrl
          ? (
            <img src={profile.avatarUrl} alt={`Profile picture of ${profile.displayName}`}
              className="size-24 shrink-0 rounded-full bg-ink-100 object-cover" />
          )
          : (
            <div aria-hidden="true"
              className="flex size-24 shrink-0 items-center justify-center rounded-full bg-ink-100 text-3xl font-semibold text-ink-600">
              {profile.displayName.slice(0, 1).toUpperCase()}
            </div>
          )}
        <div className="flex min-w-0 flex-1 flex-col gap-3">
          <FileUpload
            purpose="avatar"
            label="Upload a profile picture"
            onUploaded={(media) => update.mutate({ avatarMediaId: media.id })}
          />
          {update.isPending && <p role="status" className="text-sm text-ink-700">Saving your picture…</p>}
          {update.isSuccess && <Alert tone="success">Your profile picture is saved.</Alert>}
          {refusal && <Alert tone="error">{refusal}</Alert>}
          {profile.avatarUrl && (
            <div>
              <Button variant="secondary" busy={update.isPending}
                onClick={() => update.mutate({ avatarUrl: null })}>Remove picture</Button>
            </div>
          )}
        </div>
      </div>
    </Card>
  );
}
