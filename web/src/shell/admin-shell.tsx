import { useCallback, useEffect, useRef, useState } from "react";
import { api, unwrapEmpty } from "../api-client.ts";
import { ApiKeysPage } from "../api-keys/api-keys-page.tsx";
import { DeliveriesPage } from "../deliveries/deliveries-page.tsx";
import { navigate, type Route, routes, useRoute } from "../navigation.ts";
import { useSession } from "../session-context.ts";
import { FlashContext } from "./flash.ts";
import { Logo } from "./logo.tsx";

const nav: { route: Route; label: string; group: string }[] = [
  { route: routes.fileDelivery, label: "Integration", group: "Admin" },
  { route: routes.apiKeys, label: "API keys", group: "Admin" },
];

function NavLink({ route, label, current }: { route: Route; label: string; current: Route }) {
  return (
    <a
      href={route}
      className="nav-link"
      aria-current={current === route ? "page" : undefined}
      onClick={(event) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        navigate(route);
      }}
    >
      {label}
    </a>
  );
}

/** Header (product, account, admin, sign out), the admin navigation and the current page. */
export function AdminShell({ onSignedOut }: { onSignedOut: () => void }) {
  const session = useSession();
  const route = useRoute();
  const [flash, setFlash] = useState("");
  const flashTimer = useRef<number | undefined>(undefined);
  const main = useRef<HTMLElement>(null);
  const [signingOut, setSigningOut] = useState(false);

  const showFlash = useCallback((message: string) => {
    setFlash(message);
    window.clearTimeout(flashTimer.current);
    flashTimer.current = window.setTimeout(() => setFlash(""), 4000);
  }, []);
  useEffect(() => () => window.clearTimeout(flashTimer.current), []);

  const firstRender = useRef(true);
  // biome-ignore lint/correctness/useExhaustiveDependencies: moves focus when the page changes, not on mount
  useEffect(() => {
    setFlash("");
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>("h1")?.focus();
  }, [route]);

  async function signOut() {
    setSigningOut(true);
    try {
      await unwrapEmpty(api.sessions.current.$delete());
    } catch {
      // Signed out already (expired session): the cookie is gone either way.
    }
    onSignedOut();
  }

  const name = [session.person.firstName, session.person.lastName].filter(Boolean).join(" ") || session.person.email;
  const initials =
    ((session.person.firstName?.[0] ?? "") + (session.person.lastName?.[0] ?? "")).toUpperCase() ||
    session.person.email.charAt(0).toUpperCase();

  return (
    <FlashContext.Provider value={showFlash}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <a
          className="brand"
          href={routes.fileDelivery}
          onClick={(e) => {
            e.preventDefault();
            navigate(routes.fileDelivery);
          }}
        >
          <Logo />
          <span>Sluice</span>
        </a>
        <div className="header-account">
          <span className="avatar" aria-hidden="true">
            {initials}
          </span>
          <span className="header-who">
            <span className="header-name">{name}</span>
            <span className="header-org">{session.account.name}</span>
          </span>
          <button type="button" className="button button-quiet" onClick={signOut} disabled={signingOut}>
            Sign out
          </button>
        </div>
      </header>
      <div className="app-body">
        <nav className="side-nav" aria-label="Admin">
          <p className="nav-group">Admin</p>
          {nav.map((item) => (
            <NavLink key={item.route} route={item.route} label={item.label} current={route} />
          ))}
        </nav>
        <main id="main" ref={main} className="app-main">
          <div className="flash" role="status" aria-live="polite">
            {flash ? <span className="flash-message">{flash}</span> : null}
          </div>
          {route === routes.apiKeys ? <ApiKeysPage /> : <DeliveriesPage />}
        </main>
      </div>
    </FlashContext.Provider>
  );
}
