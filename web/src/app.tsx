import { useCallback, useEffect, useState } from "react";
import { api, setCsrfToken, setSignedOutHandler, unwrap } from "./api-client.ts";
import type { Session } from "./api-types.ts";
import { SetupPage } from "./auth/setup-page.tsx";
import { SignInPage } from "./auth/sign-in-page.tsx";
import { messageOf } from "./problem.ts";
import { SessionContext } from "./session-context.ts";
import { AdminShell } from "./shell/admin-shell.tsx";

type Phase =
  | { kind: "loading" }
  | { kind: "failed"; message: string }
  | { kind: "setup"; tokenRequired: boolean }
  | { kind: "sign-in"; notice?: string; email?: string }
  | { kind: "signed-in"; session: Session };

/** Decides what to show: first-run setup, sign-in, or the admin area. */
export function App() {
  const [phase, setPhase] = useState<Phase>({ kind: "loading" });

  const start = useCallback(async () => {
    try {
      const setup = await unwrap(api.setup.$get());
      if (setup.needed) return setPhase({ kind: "setup", tokenRequired: setup.tokenRequired });
      const session = await unwrap(api.sessions.current.$get(), { expect401: true }).catch((e: unknown) => {
        if (e instanceof Error && "status" in e && e.status === 401) return null;
        throw e;
      });
      if (session) {
        setCsrfToken(session.csrfToken);
        setPhase({ kind: "signed-in", session });
      } else setPhase({ kind: "sign-in" });
    } catch (e) {
      setPhase({ kind: "failed", message: messageOf(e) });
    }
  }, []);

  useEffect(() => {
    setSignedOutHandler(() => {
      setCsrfToken("");
      setPhase({ kind: "sign-in", notice: "Your session has ended. Sign in again to continue." });
    });
    void start();
  }, [start]);

  switch (phase.kind) {
    case "loading":
      return (
        <div className="boot" role="status" aria-busy="true">
          <span className="visually-hidden">Loading Sluice</span>
        </div>
      );
    case "failed":
      return (
        <main className="auth-page">
          <div className="auth-card">
            <h1>Sluice is unavailable</h1>
            <p className="notice notice-error" role="alert">
              {phase.message}
            </p>
            <button type="button" className="button button-primary" onClick={() => void start()}>
              Try again
            </button>
          </div>
        </main>
      );
    case "setup":
      return (
        <SetupPage
          tokenRequired={phase.tokenRequired}
          onDone={(email) =>
            setPhase({ kind: "sign-in", email, notice: "Your account is ready. Sign in with the password you chose." })
          }
        />
      );
    case "sign-in":
      return (
        <SignInPage
          notice={phase.notice}
          email={phase.email}
          onSignedIn={(session) => {
            setCsrfToken(session.csrfToken);
            setPhase({ kind: "signed-in", session });
          }}
        />
      );
    case "signed-in":
      return (
        <SessionContext.Provider value={phase.session}>
          <AdminShell
            onSignedOut={() => {
              setCsrfToken("");
              setPhase({ kind: "sign-in", notice: "You have signed out." });
            }}
          />
        </SessionContext.Provider>
      );
  }
}
