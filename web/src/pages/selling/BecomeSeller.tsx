/**
 * /sell/start: the seller profile form (the users API's `POST /sellers` body). The email
 * must be verified first: the API's answer says so, and the page shows it.
 */
import { type FormEvent, useState } from "react";
import { Link, useNavigate } from "react-router";
import { RequireAuth } from "../../routes/RequireAuth.tsx";
import { Alert, Button, buttonClass, PageTitle, Skeleton } from "../../ui/index.ts";
import { errorsOf, useBecomeSeller, useMe } from "./api.ts";
import { FormAlert } from "./parts.tsx";
import { blankSellerDraft, bodyOf, type SellerDraft, SellerFields, sellerPointers } from "./SellerFields.tsx";

export default function BecomeSeller() {
  return (
    <RequireAuth>
      <div className="mx-auto flex max-w-3xl flex-col gap-6">
        <PageTitle title="Become a seller">Become a seller</PageTitle>
        <Start />
      </div>
    </RequireAuth>
  );
}

function Start() {
  const me = useMe();
  if (me.isPending) return <Skeleton className="h-96 w-full" />;
  if (me.data?.isSeller) {
    return (
      <Alert tone="success">
        You are a seller. <Link className="underline" to="/sell/gigs/new">Publish a gig</Link>
      </Alert>
    );
  }
  return <SellerForm />;
}

function SellerForm() {
  const become = useBecomeSeller();
  const navigate = useNavigate();
  const [draft, setDraft] = useState<SellerDraft>(blankSellerDraft);
  const errors = errorsOf(become.error);

  function submit(event: FormEvent) {
    event.preventDefault();
    become.mutate(bodyOf(draft), { onSuccess: () => navigate("/sell/gigs/new") });
  }

  return (
    <form noValidate onSubmit={submit} className="flex flex-col gap-6">
      <FormAlert errors={errors} shown={sellerPointers(errors.fields)} />
      <SellerFields draft={draft} setDraft={setDraft} fields={errors.fields} />
      <div className="flex gap-3">
        <Button type="submit" busy={become.isPending}>Create seller profile</Button>
        <Link to="/" className={buttonClass("ghost")}>Cancel</Link>
      </div>
    </form>
  );
}
