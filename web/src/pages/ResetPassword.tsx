import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { resetPassword } from "../api/auth.ts";
import { ApiError } from "../api/client.ts";
import { formErrorsOf } from "../forms/errors.ts";
import { Alert, Button, Input } from "../ui/index.ts";
import { AuthCard } from "./AuthCard.tsx";

/** The page of the reset mail's link: `/reset-password?token=…`. */
export default function ResetPassword() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const navigate = useNavigate();
  const [password, setPassword] = useState("");
  const mutation = useMutation({
    mutationFn: () => resetPassword(token, password),
    onSuccess: () =>
      navigate("/login", { state: { notice: "Your password was changed. Log in with the new one." } }),
  });
  const errors = formErrorsOf(mutation.error, ["/password"]);
  const deadLink = mutation.error instanceof ApiError && mutation.error.code === "invalid_token";

  function submit(event: FormEvent) {
    event.preventDefault();
    mutation.mutate();
  }

  return (
    <AuthCard title="Choose a new password" intro="Every device signed in to your account will be logged out.">
      {!token || deadLink
        ? (
          <Alert tone="error">
            This link is no longer valid: it was used already or it expired.{" "}
            <Link to="/forgot-password" className="font-semibold underline">Ask for a new one</Link>.
          </Alert>
        )
        : (
          <form onSubmit={submit} noValidate className="flex flex-col gap-4">
            {errors.form && <Alert tone="error">{errors.form}</Alert>}
            <Input
              label="New password"
              type="password"
              autoComplete="new-password"
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              hint="At least 8 characters."
              error={errors.fields["/password"]}
            />
            <Button type="submit" busy={mutation.isPending}>Set the new password</Button>
          </form>
        )}
    </AuthCard>
  );
}
