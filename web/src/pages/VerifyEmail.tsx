import { useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { Link, useSearchParams } from "react-router";
import { verifyEmail } from "../api/auth.ts";
import { ApiError } from "../api/client.ts";
import { useSession } from "../auth/session.tsx";
import { sentenceOf } from "../forms/errors.ts";
import { Alert, buttonClass, Skeleton } from "../ui/index.ts";
import { AuthCard } from "./AuthCard.tsx";

/** The page of the verification mail's link: `/verify-email?token=…`. */
export default function VerifyEmail() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const session = useSession();
  // A query, not an effect: the token is verified once even when React renders twice.
  const verified = useQuery({
    queryKey: ["verify-email", token],
    queryFn: async () => (await verifyEmail(token)).user,
    enabled: token !== "",
    retry: false,
    staleTime: Infinity,
    gcTime: Infinity,
  });

  // The session may be restored (after this page's load) before or after the answer.
  const { user, updateUser } = session;
  useEffect(() => {
    if (verified.data && user?.id === verified.data.id && !user.emailVerified) {
      updateUser(verified.data);
    }
  }, [verified.data, user, updateUser]);

  return (
    <AuthCard title="Confirm your email">
      {!token && <Alert tone="error">This link has no token. Open the link from the mail again.</Alert>}
      {verified.isPending && token && <Skeleton className="h-12 w-full" />}
      {verified.isSuccess && (
        <Alert tone="success">Your email address {verified.data.email} is confirmed. Thank you!</Alert>
      )}
      {verified.isError && (
        <Alert tone="error">
          {verified.error instanceof ApiError && verified.error.code === "invalid_token"
            ? "This link is no longer valid: it was used already or it expired. Log in to ask for a new one."
            : verified.error instanceof ApiError
            ? sentenceOf(verified.error)
            : "Something went wrong."}
        </Alert>
      )}
      <Link to={session.user ? "/" : "/login"} className={buttonClass("primary", "self-start")}>
        {session.user ? "Go to the home page" : "Log in"}
      </Link>
    </AuthCard>
  );
}
