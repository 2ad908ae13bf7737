import { useCallback, useEffect, useRef, useState } from "react";
import { api, unwrap } from "../api-client.ts";
import { type Delivery, type FileStatus, kindLabels, type ReceivedFile } from "../api-types.ts";
import { formatDateTime, useNow } from "../dates.ts";
import { EditDeliveryDialog, type EditTab } from "../deliveries/edit-delivery-dialog.tsx";
import { LastFile, NextExpected, OverdueBadge } from "../deliveries/monitoring.tsx";
import { savedMessage } from "../deliveries/schedule.ts";
import { exactBytes, formatBytes } from "../format.ts";
import { followLink, routes } from "../navigation.ts";
import { ApiProblem, messageOf } from "../problem.ts";
import { useSession } from "../session-context.ts";
import { useFlash } from "../shell/flash.ts";
import { PageHeader } from "../shell/page-header.tsx";
import { Notice } from "../ui/notice.tsx";
import { StatusBadge } from "../ui/status-badge.tsx";
import { ReportDialog } from "./report-dialog.tsx";
import { statusLabels } from "./status-labels.ts";
import { DeliveryTimeline } from "./timeline.tsx";
import { UploadHelp } from "./upload-help.tsx";

const PAGE_SIZE = 50;
/** While a file is queued or importing, the first page is refreshed this often. */
const POLL_MS = 4000;

const statusHints: Record<FileStatus, string> = {
  queued: "Received and stored; waiting for its import to start",
  importing: "Being imported now",
  applied: "Imported: its changes are applied",
  tested: "A test file: fully checked, nothing changed",
  rejected: "Not imported: the whole file was refused",
  held: "A full sync that would deactivate many records: waiting for an admin",
  failed: "The import stopped with an error",
};

const busy = (f: ReceivedFile) => f.status === "queued" || f.status === "importing";

/** Newer files first; a refreshed first page replaces what it covers and keeps the pages loaded after it. */
function merge(current: ReceivedFile[], fresh: ReceivedFile[]): ReceivedFile[] {
  const seen = new Set(fresh.map((f) => f.id));
  return [...fresh, ...current.filter((f) => !seen.has(f.id))];
}

/** A delivery's received files, newest first: status, size, when and from where, and the original to download. */
export function FilesPage({ deliveryId }: { deliveryId: string }) {
  const { account } = useSession();
  const flash = useFlash();
  const [delivery, setDelivery] = useState<Delivery | null>(null);
  const [files, setFiles] = useState<ReceivedFile[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadError, setLoadError] = useState("");
  const [missing, setMissing] = useState(false);
  const [moreError, setMoreError] = useState("");
  const [loadingMore, setLoadingMore] = useState(false);
  const [refreshing, setRefreshing] = useState(false);
  const [editing, setEditing] = useState<EditTab | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const [reporting, setReporting] = useState<ReceivedFile | null>(null);
  const endNote = useRef<HTMLParagraphElement>(null);
  const now = useNow();

  const firstPage = useCallback(
    () => unwrap(api.deliveries[":id"].files.$get({ param: { id: deliveryId }, query: { limit: String(PAGE_SIZE) } })),
    [deliveryId],
  );

  const load = useCallback(async () => {
    setLoadError("");
    try {
      const [d, page] = await Promise.all([
        unwrap(api.deliveries[":id"].$get({ param: { id: deliveryId } })),
        firstPage(),
      ]);
      setDelivery(d);
      setFiles(page.files);
      setCursor(page.nextCursor);
    } catch (e) {
      if (e instanceof ApiProblem && e.status === 404) setMissing(true);
      else setLoadError(messageOf(e));
    }
  }, [deliveryId, firstPage]);

  useEffect(() => {
    void load();
  }, [load]);

  // The delivery is read again too: a new file changes its last-file time and clears Overdue.
  const refresh = useCallback(async () => {
    const [d, page] = await Promise.all([
      unwrap(api.deliveries[":id"].$get({ param: { id: deliveryId } })),
      firstPage(),
    ]);
    setDelivery(d);
    setFiles((current) => merge(current ?? [], page.files));
    // Only the first page was read again: keep the cursor of the pages already loaded, if any.
    setCursor((c) => c ?? page.nextCursor);
  }, [deliveryId, firstPage]);

  // A queued or importing file changes on its own: follow it until it settles (only while the tab is visible).
  const anyBusy = files?.some(busy) ?? false;
  useEffect(() => {
    if (!anyBusy) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === "visible") void refresh().catch(() => {});
    }, POLL_MS);
    return () => window.clearInterval(timer);
  }, [anyBusy, refresh]);

  async function refreshNow() {
    setRefreshing(true);
    try {
      await refresh();
      setLoadError("");
      setAnnouncement("File list refreshed.");
    } catch (e) {
      setLoadError(messageOf(e));
    } finally {
      setRefreshing(false);
    }
  }

  async function loadMore() {
    if (!cursor) return;
    setLoadingMore(true);
    setMoreError("");
    try {
      const page = await unwrap(
        api.deliveries[":id"].files.$get({ param: { id: deliveryId }, query: { limit: String(PAGE_SIZE), cursor } }),
      );
      const known = new Set(files?.map((f) => f.id));
      const added = page.files.filter((f) => !known.has(f.id));
      setFiles((current) => [...(current ?? []), ...added]);
      setCursor(page.nextCursor);
      setAnnouncement(`${added.length} more ${added.length === 1 ? "file" : "files"} loaded.`);
      if (!page.nextCursor) requestAnimationFrame(() => endNote.current?.focus());
    } catch (e) {
      setMoreError(messageOf(e));
    } finally {
      setLoadingMore(false);
    }
  }

  const title = delivery?.name ?? (missing ? "Delivery not found" : "Files");
  const breadcrumb = [
    "Admin",
    { label: "Integration", href: routes.fileDelivery },
    { label: "File Delivery", href: routes.fileDelivery },
    delivery?.name ?? "Files",
  ];

  if (missing) {
    return (
      <>
        <PageHeader title={title} breadcrumb={breadcrumb} />
        <Notice tone="warning">
          This delivery does not exist or was deleted.{" "}
          <a href={routes.fileDelivery} onClick={followLink}>
            Back to File Delivery
          </a>
        </Notice>
      </>
    );
  }

  return (
    <>
      <PageHeader
        title={title}
        breadcrumb={breadcrumb}
        actions={
          <button
            type="button"
            className="button"
            onClick={() => setEditing("notifications")}
            disabled={delivery === null}
          >
            Configure
          </button>
        }
      >
        <p className="page-meta">
          {delivery ? (
            <>
              <span>{kindLabels[delivery.kind]}</span>
              <StatusBadge status={delivery.status} />
              <span>
                SFTP user <code className="mono">{delivery.sftp.username}</code>
              </span>
            </>
          ) : (
            <span className="skeleton skeleton-inline" />
          )}
        </p>
        <p className="page-meta">
          {delivery ? (
            <>
              {delivery.overdue ? <OverdueBadge since={delivery.overdueSince} timeZone={account.timeZone} /> : null}
              <span>
                Last file:{" "}
                <span className="meta-value">
                  <LastFile at={delivery.lastReceivedAt} timeZone={account.timeZone} now={now} />
                </span>
              </span>
              <span>
                Next expected:{" "}
                <span className="meta-value">
                  <NextExpected delivery={delivery} now={now} />
                </span>
              </span>
            </>
          ) : (
            <span className="skeleton skeleton-inline" />
          )}
        </p>
      </PageHeader>

      <section className="panel" aria-labelledby="timeline-heading">
        <div className="panel-header">
          <div>
            <h2 id="timeline-heading">Arrivals, last 14 days</h2>
            <p className="muted">Each file against the windows it was expected in, in the account's time zone.</p>
          </div>
        </div>
        <DeliveryTimeline deliveryId={deliveryId} refreshKey={files?.length ?? 0} />
      </section>

      <section className="panel" aria-labelledby="files-heading">
        <div className="panel-header">
          <div>
            <h2 id="files-heading">Received files</h2>
            <p className="muted">
              Every file sent to this delivery, newest first. Originals are kept byte for byte and can be downloaded.
            </p>
          </div>
          <button
            type="button"
            className="button button-small"
            onClick={() => void refreshNow()}
            disabled={refreshing || files === null}
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
        <div className="table-wrap">
          <table className="table files-table">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Status</th>
                <th scope="col" className="col-number">
                  Size
                </th>
                <th scope="col">Received</th>
                <th scope="col">Source IP</th>
                <th scope="col" className="col-actions">
                  <span className="visually-hidden">Report and original file</span>
                </th>
              </tr>
            </thead>
            <tbody aria-busy={files === null}>
              {files === null && !loadError
                ? [0, 1, 2].map((i) => (
                    <tr key={i} className="skeleton-row">
                      <td colSpan={6}>
                        <span className="skeleton" />
                        {i === 0 ? <span className="visually-hidden">Loading…</span> : null}
                      </td>
                    </tr>
                  ))
                : null}
              {files?.length === 0 && delivery ? (
                <tr>
                  <td colSpan={6} className="empty empty-left">
                    <UploadHelp delivery={delivery} onShowPassword={() => setEditing("connection")} />
                  </td>
                </tr>
              ) : null}
              {files?.map((f) => (
                <FileRow key={f.id} file={f} timeZone={account.timeZone} onReport={() => setReporting(f)} />
              ))}
            </tbody>
          </table>
        </div>
        {files && files.length > 0 ? (
          <div className="table-footer">
            {cursor ? (
              <button type="button" className="button" onClick={() => void loadMore()} disabled={loadingMore}>
                {loadingMore ? "Loading…" : "Load more"}
              </button>
            ) : (
              <p ref={endNote} tabIndex={-1} className="muted">
                {files.length === 1 ? "1 file" : `All ${files.length} files`} shown.
              </p>
            )}
            {moreError ? <Notice tone="error">{moreError}</Notice> : null}
          </div>
        ) : null}
      </section>

      {reporting ? (
        <ReportDialog
          file={reporting}
          timeZone={account.timeZone}
          onClose={() => setReporting(null)}
          onDecided={(message) => {
            flash(message);
            void refresh().catch(() => {});
          }}
        />
      ) : null}

      {editing && delivery ? (
        <EditDeliveryDialog
          delivery={delivery}
          initialTab={editing}
          onClose={() => setEditing(null)}
          onSaved={(d, scheduleChanged) => {
            setDelivery(d);
            setEditing(null);
            flash(savedMessage(d, scheduleChanged));
          }}
        />
      ) : null}
    </>
  );
}

function FileRow({ file, timeZone, onReport }: { file: ReceivedFile; timeZone: string; onReport: () => void }) {
  const download = api.files[":id"].content.$path({ param: { id: encodeURIComponent(file.id) } });
  return (
    <tr>
      <td className="file-name">
        <span className="file-name-text">{file.name}</span>
        {file.isTest ? (
          <span className="tag tag-test" title="The name contains “test”: validated in full, nothing applied">
            Test
          </span>
        ) : null}
        {file.via === "http" ? <span className="tag">HTTPS</span> : null}
      </td>
      <td className="nowrap" title={statusHints[file.status]}>
        <StatusBadge status={file.status} label={statusLabels[file.status]} />
      </td>
      <td className="nowrap col-number" title={exactBytes(file.size)}>
        {formatBytes(file.size)}
      </td>
      <td className="nowrap">{formatDateTime(file.receivedAt, timeZone)}</td>
      <td className="nowrap">
        <code className="mono">{file.sourceIp ?? "—"}</code>
      </td>
      <td className="col-actions">
        <button type="button" className="button button-small" onClick={onReport} aria-label={`Report for ${file.name}`}>
          Report
        </button>{" "}
        <a className="button button-small" href={download} download={file.name} aria-label={`Download ${file.name}`}>
          Download
        </a>
      </td>
    </tr>
  );
}
