import { useEffect, useState } from "react";

/** The admin area's pages; anything else lands on the first. */
export const routes = {
  fileDelivery: "/admin/integration/file-delivery",
  apiKeys: "/admin/api-keys",
} as const;

export type Route = (typeof routes)[keyof typeof routes];

const known = new Set<string>(Object.values(routes));

function current(): Route {
  const path = window.location.pathname.replace(/\/+$/, "");
  return known.has(path) ? (path as Route) : routes.fileDelivery;
}

export function navigate(to: Route) {
  if (window.location.pathname !== to) window.history.pushState(null, "", to);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

/** The current page, following the history API (back/forward included). */
export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    if (window.location.pathname !== route) window.history.replaceState(null, "", route);
    const onPop = () => setRoute(current());
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, [route]);
  return route;
}
