/**
 * The session context: who is signed in. On start it asks the gateway to refresh
 * through the HttpOnly cookie (the access token is in memory only, so a reload
 * starts without one); every later change comes from the API client.
 */
import { createContext, type ReactNode, useContext, useEffect, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import {
  logout as endSession,
  onSessionChange,
  refreshSession,
  type SessionAnswer,
  setSession,
  type User,
} from "../api/client.ts";

export interface Session {
  /** `loading` until the first refresh answered. */
  status: "loading" | "signed-in" | "anonymous";
  user: User | null;
  /** Keeps a session the API answered (sign-up, log-in). */
  signIn(session: SessionAnswer): void;
  /** Replaces the user (e.g. after the email was verified). */
  updateUser(user: User): void;
  logOut(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [state, setState] = useState<Pick<Session, "status" | "user">>({
    status: "loading",
    user: null,
  });

  useEffect(() => {
    const stop = onSessionChange((session) =>
      setState(
        session
          ? { status: "signed-in", user: session.user }
          : { status: "anonymous", user: null },
      )
    );
    refreshSession().catch(() => setState({ status: "anonymous", user: null }));
    return () => void stop();
  }, []);

  const value: Session = {
    ...state,
    signIn: setSession,
    updateUser: (user) => setState((s) => (s.user ? { ...s, user } : s)),
    async logOut() {
      await endSession().catch(() => {});
      queryClient.clear();
    },
  };
  return <SessionContext value={value}>{children}</SessionContext>;
}

/** The current session; inside SessionProvider only. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}
