import { useEffect, useState } from "react";

/** The admin area's top-level pages; anything unknown lands on the first. */
export const routes = {
  fileDelivery: "/admin/integration/file-delivery",
  apiKeys: "/admin/api-keys",
  outbox: "/admin/outbox",
  people: "/admin/people",
  projects: "/admin/projects",
  downloads: "/admin/integration/downloads",
} as const;

export type Route = (typeof routes)[keyof typeof routes];

/** What the current path shows. */
export type Page =
  | { name: "fileDelivery" }
  | { name: "apiKeys" }
  | { name: "outbox" }
  | { name: "people" }
  | { name: "projects" }
  | { name: "downloads" }
  | { name: "files"; deliveryId: string };

/** A delivery's Files view. */
export const filesPath = (deliveryId: string) => `${routes.fileDelivery}/${encodeURIComponent(deliveryId)}/files`;

const filesPattern = new RegExp(`^${routes.fileDelivery}/([^/]+)/files$`);

function parse(path: string): { path: string; page: Page } {
  const clean = path.replace(/\/+$/, "");
  if (clean === routes.apiKeys) return { path: clean, page: { name: "apiKeys" } };
  if (clean === routes.outbox) return { path: clean, page: { name: "outbox" } };
  if (clean === routes.people) return { path: clean, page: { name: "people" } };
  if (clean === routes.projects) return { path: clean, page: { name: "projects" } };
  if (clean === routes.downloads) return { path: clean, page: { name: "downloads" } };
  const files = filesPattern.exec(clean);
  if (files?.[1]) {
    try {
      return { path: clean, page: { name: "files", deliveryId: decodeURIComponent(files[1]) } };
    } catch {
      // A malformed escape: fall through to the deliveries list.
    }
  }
  return { path: routes.fileDelivery, page: { name: "fileDelivery" } };
}

export function navigate(to: string) {
  if (window.location.pathname !== to) window.history.pushState(null, "", to);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

/** A same-tab navigation for an <a href>, leaving modified clicks (new tab, new window) to the browser. */
export function followLink(event: React.MouseEvent<HTMLAnchorElement>) {
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || event.button !== 0) return;
  event.preventDefault();
  navigate(event.currentTarget.pathname);
}

/** The current page, following the history API (back/forward included). */
export function useRoute(): { path: string; page: Page } {
  const [route, setRoute] = useState(() => parse(window.location.pathname));
  useEffect(() => {
    if (window.location.pathname !== route.path) window.history.replaceState(null, "", route.path);
    const onPop = () =>
      setRoute((current) => {
        const next = parse(window.location.pathname);
        return next.path === current.path ? current : next;
      });
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, [route.path]);
  return route;
}
