import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link } from "react-router";
import { forgotPassword } from "../api/auth.ts";
import { formErrorsOf } from "../forms/errors.ts";
import { Alert, Button, Input } from "../ui/index.ts";
import { AuthCard } from "./AuthCard.tsx";

export default function ForgotPassword() {
  const [email, setEmail] = useState("");
  const mutation = useMutation({ mutationFn: forgotPassword });
  const errors = formErrorsOf(mutation.error, ["/email"]);

  function submit(event: FormEvent) {
    event.preventDefault();
    mutation.mutate(email);
  }

  return (
    <AuthCard
      title="Forgot your password?"
      intro="Enter the email of your account and we will send you a link to choose a new password."
      footer={<Link to="/login" className="font-semibold text-brand-700 hover:underline">Back to log in</Link>}
    >
      {mutation.isSuccess
        ? <Alert tone="success">{mutation.data.message}</Alert>
        : (
          <form onSubmit={submit} noValidate className="flex flex-col gap-4">
            {errors.form && <Alert tone="error">{errors.form}</Alert>}
            <Input
              label="Email"
              type="email"
              autoComplete="email"
              required
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              error={errors.fields["/email"]}
            />
            <Button type="submit" busy={mutation.isPending}>Send the link</Button>
          </form>
        )}
    </AuthCard>
  );
}
