import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useNavigate } from "react-router";
import { signUp } from "../api/auth.ts";
import { useSession } from "../auth/session.tsx";
import { formErrorsOf } from "../forms/errors.ts";
import { Alert, Button, Input } from "../ui/index.ts";
import { AuthCard } from "./AuthCard.tsx";

const FIELDS = ["/email", "/username", "/password"] as const;

export default function SignUp() {
  const session = useSession();
  const navigate = useNavigate();
  const [form, setForm] = useState({ email: "", username: "", password: "" });
  const mutation = useMutation({
    mutationFn: signUp,
    onSuccess(answer) {
      session.signIn(answer);
      navigate("/", { state: { notice: "Welcome! We sent you a mail to confirm your address." } });
    },
  });
  const errors = formErrorsOf(mutation.error, FIELDS);
  const set = (name: keyof typeof form) => (event: { target: { value: string } }) =>
    setForm({ ...form, [name]: event.target.value });

  function submit(event: FormEvent) {
    event.preventDefault();
    mutation.mutate(form);
  }

  return (
    <AuthCard
      title="Create your account"
      intro="Buy services from independent professionals, or sell your own."
      footer={<>Already have an account? <Link to="/login" className="font-semibold text-brand-700 hover:underline">Log in</Link></>}
    >
      <form onSubmit={submit} noValidate className="flex flex-col gap-4">
        {errors.form && <Alert tone="error">{errors.form}</Alert>}
        <Input
          label="Email"
          type="email"
          autoComplete="email"
          required
          value={form.email}
          onChange={set("email")}
          error={errors.fields["/email"]}
        />
        <Input
          label="Username"
          autoComplete="username"
          required
          value={form.username}
          onChange={set("username")}
          hint="3–30 letters, digits or underscores, starting with a letter. People see it on your profile."
          error={errors.fields["/username"]}
        />
        <Input
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          value={form.password}
          onChange={set("password")}
          hint="At least 8 characters."
          error={errors.fields["/password"]}
        />
        <Button type="submit" busy={mutation.isPending}>Sign up</Button>
      </form>
    </AuthCard>
  );
}
