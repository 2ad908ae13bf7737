import { type ReactNode, useCallback, useEffect, useId, useRef, useState } from "react";
import { api, unwrap } from "../api-client.ts";
import type { Person, Project } from "../api-types.ts";
import { messageOf } from "../problem.ts";
import { PageHeader } from "../shell/page-header.tsx";
import { Notice } from "../ui/notice.tsx";
import { StatusBadge } from "../ui/status-badge.tsx";

const PAGE_SIZE = 50;
/** Typing pauses this long before the search runs. */
const DEBOUNCE_MS = 300;

interface Column<T> {
  label: string;
  cell: (item: T) => ReactNode;
  className?: string;
}

interface DirectoryConfig<T> {
  title: string;
  noun: [string, string];
  searchHint: string;
  columns: Column<T>[];
  fetch: (query: { q?: string; cursor?: string }) => Promise<{ items: T[]; nextCursor: string | null }>;
}

const dash = (v: string | null) => v ?? "—";
const activeBadge = (active: boolean) => (
  <StatusBadge status={active ? "active" : "disabled"} label={active ? "Active" : "Inactive"} />
);
const roleLabels: Record<Person["role"], string> = {
  claimant: "Claimant",
  approver: "Approver",
  finance: "Finance",
  admin: "Admin",
};
const sourceLabels: Record<Person["source"], string> = { setup: "Setup", admin: "Admin", sync: "Sync", scim: "SCIM" };

const query = (q: { q?: string; cursor?: string }) => ({
  limit: String(PAGE_SIZE),
  ...(q.q ? { q: q.q } : {}),
  ...(q.cursor ? { cursor: q.cursor } : {}),
});

const peopleConfig: DirectoryConfig<Person> = {
  title: "People",
  noun: ["person", "people"],
  searchHint: "Email, name or employee number",
  columns: [
    {
      label: "Name",
      cell: (p) => [p.firstName, p.lastName].filter(Boolean).join(" ") || "—",
      className: "nowrap",
    },
    { label: "Email", cell: (p) => p.email },
    { label: "Employee no.", cell: (p) => dash(p.employeeNumber) },
    { label: "Department", cell: (p) => dash(p.department) },
    { label: "Approver", cell: (p) => dash(p.approverEmail) },
    { label: "Role", cell: (p) => roleLabels[p.role] },
    { label: "Status", cell: (p) => activeBadge(p.active), className: "nowrap" },
    { label: "Source", cell: (p) => sourceLabels[p.source] },
  ],
  fetch: async (q) => {
    const page = await unwrap(api.people.$get({ query: query(q) }));
    return { items: page.people, nextCursor: page.nextCursor };
  },
};

const projectsConfig: DirectoryConfig<Project> = {
  title: "Projects",
  noun: ["project", "projects"],
  searchHint: "Code, name or client",
  columns: [
    { label: "Code", cell: (p) => <code className="mono">{p.code}</code> },
    { label: "Name", cell: (p) => p.name },
    { label: "Client", cell: (p) => dash(p.client) },
    { label: "Start", cell: (p) => dash(p.startDate), className: "nowrap" },
    { label: "End", cell: (p) => dash(p.endDate), className: "nowrap" },
    { label: "Billable", cell: (p) => (p.billable === null ? "—" : p.billable ? "Yes" : "No") },
    { label: "Approver", cell: (p) => dash(p.approverEmail) },
    { label: "Status", cell: (p) => activeBadge(p.active), className: "nowrap" },
  ],
  fetch: async (q) => {
    const page = await unwrap(api.projects.$get({ query: query(q) }));
    return { items: page.projects, nextCursor: page.nextCursor };
  },
};

export const PeoplePage = () => <DirectoryPage config={peopleConfig} />;
export const ProjectsPage = () => <DirectoryPage config={projectsConfig} />;

/** A searchable, paged list of what the syncs produced. */
function DirectoryPage<T extends { id: string }>({ config }: { config: DirectoryConfig<T> }) {
  const [text, setText] = useState("");
  const [search, setSearch] = useState("");
  const [items, setItems] = useState<T[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadError, setLoadError] = useState("");
  const [loadingMore, setLoadingMore] = useState(false);
  const [searching, setSearching] = useState(false);
  const [announcement, setAnnouncement] = useState("");
  const searchId = useId();
  const headingId = useId();
  const generation = useRef(0);
  const { fetch, noun } = config;

  useEffect(() => {
    const timer = window.setTimeout(() => setSearch(text.trim()), DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [text]);

  const load = useCallback(async () => {
    const mine = ++generation.current;
    setLoadError("");
    // The current rows stay until the new ones arrive (no flicker while typing).
    setSearching(true);
    try {
      const page = await fetch(search ? { q: search } : {});
      if (mine !== generation.current) return;
      setItems(page.items);
      setCursor(page.nextCursor);
      if (search) {
        const n = page.items.length;
        setAnnouncement(
          `${n}${page.nextCursor ? "+" : ""} ${n === 1 && !page.nextCursor ? noun[0] : noun[1]} match “${search}”.`,
        );
      }
    } catch (e) {
      if (mine === generation.current) setLoadError(messageOf(e));
    } finally {
      if (mine === generation.current) setSearching(false);
    }
  }, [fetch, search, noun]);

  useEffect(() => {
    void load();
  }, [load]);

  async function loadMore() {
    if (!cursor) return;
    const mine = generation.current;
    setLoadingMore(true);
    try {
      const page = await fetch(search ? { q: search, cursor } : { cursor });
      if (mine !== generation.current) return;
      const known = new Set(items?.map((i) => i.id));
      const added = page.items.filter((i) => !known.has(i.id));
      setItems((current) => [...(current ?? []), ...added]);
      setCursor(page.nextCursor);
      setAnnouncement(`${added.length} more ${added.length === 1 ? noun[0] : noun[1]} loaded.`);
    } catch (e) {
      setLoadError(messageOf(e));
    } finally {
      setLoadingMore(false);
    }
  }

  const span = config.columns.length;
  return (
    <>
      <PageHeader title={config.title} breadcrumb={["Admin", "Directory", config.title]} />
      <section className="panel" aria-labelledby={headingId}>
        <div className="panel-header">
          <div>
            <h2 id={headingId}>All {noun[1]}</h2>
            <p className="muted">What the syncs and setup created, in this account.</p>
          </div>
          <div className="field directory-search">
            <label htmlFor={searchId}>Search {noun[1]}</label>
            <input
              id={searchId}
              type="search"
              value={text}
              placeholder={config.searchHint}
              onChange={(e) => setText(e.target.value)}
            />
          </div>
        </div>
        {loadError ? (
          <Notice tone="error">
            {loadError}{" "}
            <button type="button" className="link-button" onClick={() => void load()}>
              Try again
            </button>
          </Notice>
        ) : null}
        <div className="visually-hidden" role="status" aria-live="polite">
          {announcement}
        </div>
        <div className="table-wrap">
          <table className="table" aria-labelledby={headingId}>
            <thead>
              <tr>
                {config.columns.map((c) => (
                  <th key={c.label} scope="col">
                    {c.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody aria-busy={items === null || searching} className={searching ? "is-searching" : undefined}>
              {items === null && !loadError
                ? [0, 1, 2].map((i) => (
                    <tr key={i} className="skeleton-row">
                      <td colSpan={span}>
                        <span className="skeleton" />
                        {i === 0 ? <span className="visually-hidden">Loading…</span> : null}
                      </td>
                    </tr>
                  ))
                : null}
              {items?.length === 0 ? (
                <tr>
                  <td colSpan={span} className="empty">
                    {search ? `No ${noun[1]} match “${search}”.` : `No ${noun[1]} yet.`}
                  </td>
                </tr>
              ) : null}
              {items?.map((item) => (
                <tr key={item.id}>
                  {config.columns.map((c) => (
                    <td key={c.label} className={c.className}>
                      {c.cell(item)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {items && items.length > 0 ? (
          <div className="table-footer">
            {cursor ? (
              <button type="button" className="button" onClick={() => void loadMore()} disabled={loadingMore}>
                {loadingMore ? "Loading…" : "Load more"}
              </button>
            ) : (
              <p className="muted">{items.length === 1 ? `1 ${noun[0]}` : `All ${items.length} ${noun[1]}`} shown.</p>
            )}
          </div>
        ) : null}
      </section>
    </>
  );
}
