import { useCallback, useEffect, useRef, useState } from "react";
import { api, unwrapEmpty } from "../api-client.ts";
import { ApiKeysPage } from "../api-keys/api-keys-page.tsx";
import { DeliveriesPage } from "../deliveries/deliveries-page.tsx";
import { PeoplePage, ProjectsPage } from "../directory/directory-page.tsx";
import { SpecificationsPage } from "../directory/specifications-page.tsx";
import { FilesPage } from "../files/files-page.tsx";
import { followLink, navigate, type Page, type Route, routes, useRoute } from "../navigation.ts";
import { OutboxPage } from "../outbox/outbox-page.tsx";
import { useSession } from "../session-context.ts";
import { FlashContext } from "./flash.ts";
import { Logo } from "./logo.tsx";

const nav: { route: Route; label: string; pages: Page["name"][] }[] = [
  { route: routes.fileDelivery, label: "Integration", pages: ["fileDelivery", "files"] },
  { route: routes.downloads, label: "Downloads", pages: ["downloads"] },
  { route: routes.people, label: "People", pages: ["people"] },
  { route: routes.projects, label: "Projects", pages: ["projects"] },
  { route: routes.apiKeys, label: "API keys", pages: ["apiKeys"] },
  { route: routes.outbox, label: "Outbox", pages: ["outbox"] },
];

function NavLink({ route, label, current }: { route: Route; label: string; current: boolean }) {
  return (
    <a href={route} className="nav-link" aria-current={current ? "page" : undefined} onClick={followLink}>
      {label}
    </a>
  );
}

/** Header (product, account, admin, sign out), the admin navigation and the current page. */
export function AdminShell({ onSignedOut }: { onSignedOut: () => void }) {
  const session = useSession();
  const { path, page } = useRoute();
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
  }, [path]);

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
            <NavLink key={item.route} route={item.route} label={item.label} current={item.pages.includes(page.name)} />
          ))}
        </nav>
        <main id="main" ref={main} className="app-main">
          <div className="flash" role="status" aria-live="polite">
            {flash ? <span className="flash-message">{flash}</span> : null}
          </div>
          {page.name === "apiKeys" ? (
            <ApiKeysPage />
          ) : page.name === "people" ? (
            <PeoplePage />
          ) : page.name === "projects" ? (
            <ProjectsPage />
          ) : page.name === "downloads" ? (
            <SpecificationsPage />
          ) : page.name === "outbox" ? (
            <OutboxPage />
          ) : page.name === "files" ? (
            <FilesPage key={page.deliveryId} deliveryId={page.deliveryId} />
          ) : (
            <DeliveriesPage />
          )}
        </main>
      </div>
    </FlashContext.Provider>
  );
}
