import { useMutation } from "@tanstack/react-query";
import { resendVerification } from "../api/auth.ts";
import { ApiError } from "../api/client.ts";
import { useSession } from "../auth/session.tsx";
import { sentenceOf } from "../forms/errors.ts";

/** Asks a signed-in person whose address is not confirmed to confirm it, with a resend. */
export function VerifyBanner() {
  const { user } = useSession();
  const resend = useMutation({ mutationFn: resendVerification });
  if (!user || user.emailVerified) return null;
  return (
    <div className="border-b border-brand-100 bg-brand-50">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-2 text-sm text-brand-800">
        <p>
          Please confirm your email address: we sent a link to <strong>{user.email}</strong>.
        </p>
        {resend.isSuccess
          ? <p role="status">Sent. Check your inbox.</p>
          : (
            <button
              type="button"
              className="font-semibold underline disabled:opacity-60"
              disabled={resend.isPending}
              onClick={() => resend.mutate()}
            >
              Send the mail again
            </button>
          )}
        {resend.error && (
          <p role="alert" className="text-danger-700">
            {resend.error instanceof ApiError ? sentenceOf(resend.error) : "It could not be sent."}
          </p>
        )}
      </div>
    </div>
  );
}
