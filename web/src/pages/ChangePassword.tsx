import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useNavigate } from "react-router";
import { changePassword } from "../api/auth.ts";
import { useSession } from "../auth/session.tsx";
import { formErrorsOf } from "../forms/errors.ts";
import { RequireAuth } from "../routes/RequireAuth.tsx";
import { Alert, Button, Input } from "../ui/index.ts";
import { AuthCard } from "./AuthCard.tsx";

const FIELDS = ["/currentPassword", "/newPassword"] as const;

export default function ChangePasswordPage() {
  return (
    <RequireAuth>
      <ChangePassword />
    </RequireAuth>
  );
}

function ChangePassword() {
  const session = useSession();
  const navigate = useNavigate();
  const [form, setForm] = useState({ currentPassword: "", newPassword: "" });
  const mutation = useMutation({
    mutationFn: () => changePassword(form.currentPassword, form.newPassword),
    // The API signs out every session, this one included. Leave this page first:
    // signed out here, RequireAuth would send the person to log in without the notice.
    async onSuccess() {
      await navigate("/login", {
        state: { notice: "Your password was changed. Log in with the new one." },
      });
      await session.logOut();
    },
  });
  const errors = formErrorsOf(mutation.error, FIELDS);

  function submit(event: FormEvent) {
    event.preventDefault();
    mutation.mutate();
  }

  return (
    <AuthCard title="Change password" intro="Every device signed in to your account will be logged out.">
      <form onSubmit={submit} noValidate className="flex flex-col gap-4">
        {errors.form && <Alert tone="error">{errors.form}</Alert>}
        <Input
          label="Current password"
          type="password"
          autoComplete="current-password"
          required
          value={form.currentPassword}
          onChange={(event) => setForm({ ...form, currentPassword: event.target.value })}
          error={errors.fields["/currentPassword"]}
        />
        <Input
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          value={form.newPassword}
          onChange={(event) => setForm({ ...form, newPassword: event.target.value })}
          hint="At least 8 characters."
          error={errors.fields["/newPassword"]}
        />
        <Button type="submit" busy={mutation.isPending}>Change password</Button>
      </form>
    </AuthCard>
  );
}
