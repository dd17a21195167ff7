import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router";
import { logIn } from "../api/auth.ts";
import { useSession } from "../auth/session.tsx";
import { formErrorsOf } from "../forms/errors.ts";
import { Alert, Button, Input } from "../ui/index.ts";
import { AuthCard } from "./AuthCard.tsx";

const FIELDS = ["/login", "/password"] as const;

/** Only a path of this site is a place to come back to. */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export default function LogIn() {
  const session = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const notice = (useLocation().state as { notice?: string } | null)?.notice;
  const [form, setForm] = useState({ login: "", password: "" });
  const mutation = useMutation({
    mutationFn: logIn,
    onSuccess(answer) {
      session.signIn(answer);
      navigate(safeNext(params.get("next")), { replace: true });
    },
  });
  const errors = formErrorsOf(mutation.error, FIELDS);

  function submit(event: FormEvent) {
    event.preventDefault();
    mutation.mutate(form);
  }

  return (
    <AuthCard
      title="Log in"
      footer={<>New here? <Link to="/signup" className="font-semibold text-brand-700 hover:underline">Create an account</Link></>}
    >
      <form onSubmit={submit} noValidate className="flex flex-col gap-4">
        {notice && !mutation.error && <Alert tone="success">{notice}</Alert>}
        {errors.form && <Alert tone="error">{errors.form}</Alert>}
        <Input
          label="Email or username"
          autoComplete="username"
          required
          value={form.login}
          onChange={(event) => setForm({ ...form, login: event.target.value })}
          error={errors.fields["/login"]}
        />
        <Input
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={form.password}
          onChange={(event) => setForm({ ...form, password: event.target.value })}
          error={errors.fields["/password"]}
        />
        <div className="flex items-center justify-between gap-4">
          <Link to="/forgot-password" className="text-sm font-medium text-brand-700 hover:underline">
            Forgot password?
          </Link>
          <Button type="submit" busy={mutation.isPending}>Log in</Button>
        </div>
      </form>
    </AuthCard>
  );
}
