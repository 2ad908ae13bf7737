import { useCallback, useEffect, useId, useRef, useState } from "react";
import { api, unwrap } from "../api-client.ts";
import type { OutboxEmail } from "../api-types.ts";
import { formatDateTime, formatRelative, useNow } from "../dates.ts";
import { messageOf } from "../problem.ts";
import { useSession } from "../session-context.ts";
import { PageHeader } from "../shell/page-header.tsx";
import { Notice } from "../ui/notice.tsx";
import { StatusBadge } from "../ui/status-badge.tsx";

const PAGE_SIZE = 50;
/** While an email is pending or sending (it goes through the queue), the first page is read again this often. */
const POLL_MS = 3000;

const kindLabels: Record<string, string> = {
  delivery_missed: "Missed file",
  delivery_rejected: "Received, but rejected",
  delivery_received_again: "Received again",
  import_summary: "Import summary",
};
const kindLabel = (kind: string) => kindLabels[kind] ?? kind.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());

const statusLabels: Record<OutboxEmail["status"], string> = {
  pending: "Pending",
  sending: "Sending",
  sent: "Sent",
  failed: "Failed",
};

const inFlight = (e: OutboxEmail) => e.status === "pending" || e.status === "sending";

/** Newest first; a refreshed first page replaces what it covers and keeps the pages loaded after it. */
function merge(current: OutboxEmail[], fresh: OutboxEmail[]): OutboxEmail[] {
  const seen = new Set(fresh.map((e) => e.id));
  return [...fresh, ...current.filter((e) => !seen.has(e.id))];
}

const page = (before?: number) =>
  unwrap(
    api.outbox.$get({
      query: before === undefined ? { limit: String(PAGE_SIZE) } : { limit: String(PAGE_SIZE), before: String(before) },
    }),
  );

/** Admin › Outbox: the emails Sluice sent for the account; with the local sender, the mailbox itself. */
export function OutboxPage() {
  const { account } = useSession();
  const now = useNow();
  const [emails, setEmails] = useState<OutboxEmail[] | null>(null);
  const [more, setMore] = useState(false);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [loadError, setLoadError] = useState("");
  const [moreError, setMoreError] = useState("");
  const [loadingMore, setLoadingMore] = useState(false);
  const [refreshing, setRefreshing] = useState(false);
  const [announcement, setAnnouncement] = useState("");
  const endNote = useRef<HTMLParagraphElement>(null);

  const load = useCallback(async () => {
    setLoadError("");
    try {
      const first = await page();
      setEmails(first.emails);
      setMore(first.emails.length === PAGE_SIZE);
    } catch (e) {
      setLoadError(messageOf(e));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const refresh = useCallback(async () => {
    const first = await page();
    setEmails((current) => merge(current ?? [], first.emails));
    setMore((m) => m || first.emails.length === PAGE_SIZE);
  }, []);

  // Sending goes through the queue: follow pending emails until they settle (only while the tab is visible).
  const anyInFlight = emails?.some(inFlight) ?? false;
  useEffect(() => {
    if (!anyInFlight) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === "visible") void refresh().catch(() => {});
    }, POLL_MS);
    return () => window.clearInterval(timer);
  }, [anyInFlight, refresh]);

  async function refreshNow() {
    setRefreshing(true);
    try {
      await refresh();
      setLoadError("");
      setAnnouncement("Outbox refreshed.");
    } catch (e) {
      setLoadError(messageOf(e));
    } finally {
      setRefreshing(false);
    }
  }

  async function loadMore() {
    const last = emails?.at(-1);
    if (!last || !emails) return;
    setLoadingMore(true);
    setMoreError("");
    try {
      // `before` is exclusive and emails of one cron run share their createdAt: ask from just after the last
      // one seen and drop the repeats, so a run split across two pages is not cut short.
      const known = new Set(emails.map((e) => e.id));
      let next = await page(last.createdAt + 1);
      let added = next.emails.filter((e) => !known.has(e.id));
      if (added.length === 0 && next.emails.length === PAGE_SIZE) {
        next = await page(last.createdAt);
        added = next.emails.filter((e) => !known.has(e.id));
      }
      setEmails((current) => [...(current ?? []), ...added]);
      const hasMore = next.emails.length === PAGE_SIZE && added.length > 0;
      setMore(hasMore);
      setAnnouncement(`${added.length} more ${added.length === 1 ? "email" : "emails"} loaded.`);
      if (!hasMore) requestAnimationFrame(() => endNote.current?.focus());
    } catch (e) {
      setMoreError(messageOf(e));
    } finally {
      setLoadingMore(false);
    }
  }

  const toggle = (id: string) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  return (
    <>
      <PageHeader title="Outbox" breadcrumb={["Admin", "Outbox"]} />
      <section className="panel" aria-labelledby="outbox-heading">
        <div className="panel-header">
          <div>
            <h2 id="outbox-heading">Emails sent</h2>
            <p className="muted">
              Every email Sluice sent for this account, newest first: missed-file alerts and import notices. With the
              local sender, this list is the mailbox itself: emails are delivered here and nothing leaves the machine.
            </p>
          </div>
          <button
            type="button"
            className="button button-small"
            onClick={() => void refreshNow()}
            disabled={refreshing || emails === null}
          >
            {refreshing ? "Refreshing…" : "Refresh"}
          </button>
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
        {emails === null && !loadError ? (
          <ul className="mail-list" aria-busy="true">
            {[0, 1, 2].map((i) => (
              <li key={i} className="mail mail-skeleton">
                <span className="skeleton" />
                {i === 0 ? <span className="visually-hidden">Loading…</span> : null}
              </li>
            ))}
          </ul>
        ) : null}
        {emails?.length === 0 ? (
          <div className="mail-empty">
            <p className="empty-title">No emails yet</p>
            <p className="muted">
              When a delivery's file is not received when expected, the alert sent to each Admin appears here.
            </p>
          </div>
        ) : null}
        {emails && emails.length > 0 ? (
          <ul className="mail-list">
            {emails.map((e) => (
              <MailItem
                key={e.id}
                email={e}
                open={expanded.has(e.id)}
                onToggle={() => toggle(e.id)}
                timeZone={account.timeZone}
                now={now}
              />
            ))}
          </ul>
        ) : null}
        {emails && emails.length > 0 ? (
          <div className="table-footer">
            {more ? (
              <button type="button" className="button" onClick={() => void loadMore()} disabled={loadingMore}>
                {loadingMore ? "Loading…" : "Load more"}
              </button>
            ) : (
              <p ref={endNote} tabIndex={-1} className="muted">
                {emails.length === 1 ? "1 email" : `All ${emails.length} emails`} shown.
              </p>
            )}
            {moreError ? <Notice tone="error">{moreError}</Notice> : null}
          </div>
        ) : null}
      </section>
    </>
  );
}

function MailItem({
  email,
  open,
  onToggle,
  timeZone,
  now,
}: {
  email: OutboxEmail;
  open: boolean;
  onToggle: () => void;
  timeZone: string;
  now: number;
}) {
  const bodyId = useId();
  const at = (ms: number) => `${formatDateTime(ms, timeZone)} (${timeZone})`;
  return (
    <li className={`mail${open ? " mail-open" : ""}`}>
      <div className="mail-head">
        <span className="mail-chevron" aria-hidden="true" />
        <span className="mail-main">
          <button type="button" className="mail-toggle" aria-expanded={open} aria-controls={bodyId} onClick={onToggle}>
            {email.subject}
          </button>
          <span className="mail-meta">
            To <span className="mail-to">{email.to}</span>
            <span className="tag">{kindLabel(email.kind)}</span>
          </span>
          {email.status === "failed" || (email.error && email.status !== "sent") ? (
            <span className="mail-error">
              {email.attempts} {email.attempts === 1 ? "attempt" : "attempts"}
              {email.error ? `: ${email.error}` : ""}
            </span>
          ) : null}
        </span>
        <StatusBadge status={email.status} label={statusLabels[email.status]} />
        <time className="mail-time" dateTime={new Date(email.createdAt).toISOString()} title={at(email.createdAt)}>
          {formatRelative(email.createdAt, now)}
        </time>
      </div>
      <div id={bodyId} className="mail-detail" hidden={!open}>
        {open ? (
          <>
            <dl className="mail-facts">
              <div>
                <dt>Created</dt>
                <dd>{at(email.createdAt)}</dd>
              </div>
              <div>
                <dt>Sent</dt>
                <dd>{email.sentAt === null ? "Not yet" : at(email.sentAt)}</dd>
              </div>
              <div>
                <dt>Attempts</dt>
                <dd>{email.attempts}</dd>
              </div>
              {email.error ? (
                <div className="mail-facts-wide">
                  <dt>Last error</dt>
                  <dd>{email.error}</dd>
                </div>
              ) : null}
            </dl>
            <pre className="mail-text">{email.text}</pre>
          </>
        ) : null}
      </div>
    </li>
  );
}
