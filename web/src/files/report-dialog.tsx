import { useCallback, useEffect, useId, useState } from "react";
import { api, unwrap } from "../api-client.ts";
import type { ImportReport, ReceivedFile, RowError, RowErrorsPage } from "../api-types.ts";
import { formatDateTime } from "../dates.ts";
import { messageOf } from "../problem.ts";
import { ConfirmDialog } from "../ui/confirm-dialog.tsx";
import { Dialog } from "../ui/dialog.tsx";
import { Notice } from "../ui/notice.tsx";
import { StatusBadge } from "../ui/status-badge.tsx";
import { statusLabels } from "./status-labels.ts";

/** While the file is queued or importing, the report is read again this often. */
const POLL_MS = 2000;
const ERRORS_PAGE = 100;

const number = new Intl.NumberFormat("en-GB");

/** The API names the delimiter ("comma"); a raw character is shown as is. */
const delimiterNames: Record<string, string> = { ",": "Comma", ";": "Semicolon", "\t": "Tab", "|": "Pipe" };
const delimiterLabel = (d: string) => delimiterNames[d] ?? d.charAt(0).toUpperCase() + d.slice(1);

const countLabels: [keyof ImportReport["counts"], string][] = [
  ["rows", "Rows"],
  ["created", "Created"],
  ["updated", "Updated"],
  ["unchanged", "Unchanged"],
  ["deactivated", "Deactivated"],
  ["skipped", "Skipped"],
  ["errors", "Errors"],
];

const inProgress = (r: ImportReport) => r.status === "queued" || r.status === "importing";
/** A finished import that can be run again from the stored file (a held one is decided instead). */
const canReprocess = (r: ImportReport) => ["applied", "tested", "rejected", "failed"].includes(r.status);

type Decision = "approve" | "reject" | "reprocess";
const decisionText: Record<Decision, { title: string; confirm: string; done: (name: string) => string }> = {
  approve: {
    title: "Approve this file?",
    confirm: "Approve and apply",
    done: (n) => `${n} approved: its import resumes.`,
  },
  reject: { title: "Reject this file?", confirm: "Reject file", done: (n) => `${n} rejected.` },
  reprocess: {
    title: "Import this file again?",
    confirm: "Import again",
    done: (n) => `${n} is queued to be imported again.`,
  },
};

/** A file's import report: outcome, dialect, counts, live progress, row errors and, for held files, the decision. */
export function ReportDialog({
  file,
  timeZone,
  onClose,
  onDecided,
}: {
  file: ReceivedFile;
  timeZone: string;
  onClose: () => void;
  /** After an approve, reject or reprocess: the file list should be read again. */
  onDecided: (message: string) => void;
}) {
  const [report, setReport] = useState<ImportReport | null>(null);
  const [error, setError] = useState("");
  const [deciding, setDeciding] = useState<Decision | null>(null);
  const param = { id: file.id };

  // biome-ignore lint/correctness/useExhaustiveDependencies: `param` is derived from file.id
  const load = useCallback(async () => {
    try {
      setReport(await unwrap(api.files[":id"].report.$get({ param })));
      setError("");
    } catch (e) {
      setError(messageOf(e));
    }
  }, [file.id]);

  useEffect(() => {
    void load();
  }, [load]);

  const busy = report ? inProgress(report) : false;
  useEffect(() => {
    if (!busy) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === "visible") void load();
    }, POLL_MS);
    return () => window.clearInterval(timer);
  }, [busy, load]);

  const original = api.files[":id"].content.$path({ param: { id: encodeURIComponent(file.id) } });
  const errorsCsv = api.files[":id"]["errors.csv"].$path({ param: { id: encodeURIComponent(file.id) } });

  return (
    <>
      <Dialog
        title={`Import report: ${file.name}`}
        size="large"
        onClose={onClose}
        footer={
          <>
            {report?.held ? (
              <>
                <button type="button" className="button button-danger" onClick={() => setDeciding("reject")}>
                  Reject
                </button>
                <button type="button" className="button button-primary" onClick={() => setDeciding("approve")}>
                  Approve
                </button>
              </>
            ) : null}
            {report && canReprocess(report) ? (
              <button type="button" className="button" onClick={() => setDeciding("reprocess")}>
                Import again
              </button>
            ) : null}
            <button type="button" className="button" onClick={onClose}>
              Close
            </button>
          </>
        }
      >
        {error ? (
          <Notice tone="error">
            {error}{" "}
            <button type="button" className="link-button" onClick={() => void load()}>
              Try again
            </button>
          </Notice>
        ) : null}
        {report === null && !error ? (
          <p className="muted" role="status">
            Loading report…
          </p>
        ) : null}
        {report ? (
          <ReportBody
            report={report}
            timeZone={timeZone}
            fileId={file.id}
            fileName={file.name}
            original={original}
            errorsCsv={errorsCsv}
          />
        ) : null}
      </Dialog>
      {deciding && report ? (
        <ConfirmDialog
          title={decisionText[deciding].title}
          confirmLabel={decisionText[deciding].confirm}
          danger={deciding === "reject"}
          onClose={() => setDeciding(null)}
          onConfirm={async () => {
            if (deciding === "approve") await unwrap(api.files[":id"].approve.$post({ param }));
            else if (deciding === "reject") await unwrap(api.files[":id"].reject.$post({ param }));
            else await unwrap(api.files[":id"].reprocess.$post({ param }));
            setDeciding(null);
            await load();
            onDecided(decisionText[deciding].done(file.name));
          }}
        >
          {deciding === "reprocess" ? (
            <p>
              The file is read again from its stored copy and imported against the data as it is now. Its report starts
              over.
            </p>
          ) : deciding === "approve" ? (
            <p>
              The file is applied in full, including{" "}
              <strong>
                {number.format(report.counts.deactivated)}{" "}
                {report.counts.deactivated === 1 ? "deactivation" : "deactivations"}
              </strong>
              .
            </p>
          ) : (
            <p>Nothing in this file is applied. This cannot be undone.</p>
          )}
        </ConfirmDialog>
      ) : null}
    </>
  );
}

function ReportBody({
  report,
  timeZone,
  fileId,
  fileName,
  original,
  errorsCsv,
}: {
  report: ImportReport;
  timeZone: string;
  fileId: string;
  fileName: string;
  original: string;
  errorsCsv: string;
}) {
  const { progress, counts, dialect } = report;
  const total = progress.rowsTotal;
  const pct = total ? Math.min(100, Math.round((progress.rowsDone / total) * 100)) : null;
  return (
    <div className="report">
      <p className="page-meta">
        <StatusBadge status={report.status} label={statusLabels[report.status]} />
        {report.isTest ? (
          <span className="tag tag-test" title="The name contains “test”: validated in full, nothing applied">
            Test
          </span>
        ) : null}
        <span>Received {formatDateTime(report.receivedAt, timeZone)}</span>
        {report.finishedAt ? <span>Finished {formatDateTime(report.finishedAt, timeZone)}</span> : null}
      </p>
      {report.held ? (
        <Notice tone="warning">
          This full sync would deactivate {number.format(counts.deactivated)}{" "}
          {counts.deactivated === 1 ? "record" : "records"}, above the delivery's threshold. It waits for an admin to
          approve or reject it.
        </Notice>
      ) : null}
      {report.message ? <Notice tone={report.status === "failed" ? "error" : "info"}>{report.message}</Notice> : null}

      {inProgress(report) ? (
        <div className="report-progress">
          <p>
            {report.status === "queued" ? "Waiting to start" : `Importing (${progress.phase})`}:{" "}
            <span className="meta-value">
              {number.format(progress.rowsDone)} {total !== null ? `of ${number.format(total)} ` : ""}rows
            </span>
          </p>
          <progress
            max={total ?? progress.bytesTotal ?? 1}
            value={total ? progress.rowsDone : progress.bytesRead}
            aria-label="Import progress"
          >
            {pct !== null ? `${pct}%` : null}
          </progress>
        </div>
      ) : null}

      <dl className="report-counts" aria-label="Counts">
        {countLabels.map(([key, label]) => (
          <div key={key} className="report-count">
            <dt>{key === "deactivated" && (report.isTest || report.held) ? "Would deactivate" : label}</dt>
            <dd>{number.format(counts[key])}</dd>
          </div>
        ))}
      </dl>
      {counts.errorsDropped > 0 ? (
        <p className="muted">
          {number.format(counts.errorsDropped)} more errors were not stored (the first 1,000 are kept).
        </p>
      ) : null}

      <dl className="report-dialect">
        <div>
          <dt>Encoding</dt>
          <dd>
            {dialect?.encoding ?? "—"}
            {dialect?.bom ? " (with BOM)" : ""}
          </dd>
        </div>
        <div>
          <dt>Delimiter</dt>
          <dd>{dialect?.delimiter ? delimiterLabel(dialect.delimiter) : "—"}</dd>
        </div>
        <div>
          <dt>Line endings</dt>
          <dd>{dialect?.lineEnding ?? "—"}</dd>
        </div>
      </dl>

      <p className="report-links">
        <a className="button button-small" href={original} download={fileName}>
          Download original
        </a>
        {counts.errors > 0 ? (
          <a className="button button-small" href={errorsCsv} download>
            Download errors (CSV)
          </a>
        ) : null}
      </p>

      {counts.errors > 0 ? (
        <RowErrors fileId={fileId} header={dialect?.header ?? null} settled={!inProgress(report)} />
      ) : null}
    </div>
  );
}

function RowErrors({
  fileId,
  header,
  settled,
}: {
  fileId: string;
  header: (string | null)[] | null;
  settled: boolean;
}) {
  const [column, setColumn] = useState("");
  const [errors, setErrors] = useState<RowError[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadError, setLoadError] = useState("");
  const [loadingMore, setLoadingMore] = useState(false);
  // The filter offers the file's header, when the report has it, and every column seen in an error.
  const [seen, setSeen] = useState<ReadonlySet<string>>(() => new Set());
  const headingId = useId();
  const filterId = useId();

  const page = useCallback(
    (after?: string): Promise<RowErrorsPage> =>
      unwrap(
        api.files[":id"].errors.$get({
          param: { id: fileId },
          query: {
            limit: String(ERRORS_PAGE),
            ...(after ? { cursor: after } : {}),
            ...(column ? { column } : {}),
          },
        }),
      ) as Promise<RowErrorsPage>,
    [fileId, column],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: read again once the import settles
  useEffect(() => {
    let live = true;
    setErrors(null);
    setLoadError("");
    page()
      .then((p) => {
        if (!live) return;
        setErrors(p.errors);
        setCursor(p.nextCursor);
        setSeen((s) => new Set([...s, ...p.errors.map((e) => e.column)]));
      })
      .catch((e: unknown) => live && setLoadError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [page, settled]);

  async function loadMore() {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const p = await page(cursor);
      setErrors((current) => [...(current ?? []), ...p.errors]);
      setCursor(p.nextCursor);
      setSeen((s) => new Set([...s, ...p.errors.map((e) => e.column)]));
    } catch (e) {
      setLoadError(messageOf(e));
    } finally {
      setLoadingMore(false);
    }
  }

  const columns = [...new Set([...(header ?? []).filter((h): h is string => Boolean(h)), ...seen])];
  return (
    <section aria-labelledby={headingId} className="report-errors">
      <div className="panel-header">
        <h3 id={headingId}>Row errors</h3>
        {columns.length > 0 ? (
          <div className="field field-inline">
            <label htmlFor={filterId}>Column</label>
            <select id={filterId} value={column} onChange={(e) => setColumn(e.target.value)}>
              <option value="">All columns</option>
              {columns.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </div>
        ) : null}
      </div>
      {loadError ? <Notice tone="error">{loadError}</Notice> : null}
      <div className="table-wrap">
        <table className="table" aria-labelledby={headingId}>
          <thead>
            <tr>
              <th scope="col" className="col-number">
                Row
              </th>
              <th scope="col">Column</th>
              <th scope="col">Reason</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody aria-busy={errors === null}>
            {errors === null && !loadError ? (
              <tr>
                <td colSpan={4}>
                  <span className="skeleton" />
                  <span className="visually-hidden">Loading…</span>
                </td>
              </tr>
            ) : null}
            {errors?.length === 0 ? (
              <tr>
                <td colSpan={4} className="empty">
                  No errors{column ? ` in ${column}` : ""}.
                </td>
              </tr>
            ) : null}
            {errors?.map((e) => (
              <tr key={`${e.row}\u0000${e.column}\u0000${e.reason}`}>
                <td className="col-number">{e.row}</td>
                <td>{e.column}</td>
                <td>{e.reason}</td>
                <td>
                  <code className="mono">{e.value ?? "—"}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {cursor ? (
        <div className="table-footer">
          <button type="button" className="button" onClick={() => void loadMore()} disabled={loadingMore}>
            {loadingMore ? "Loading…" : "Load more"}
          </button>
        </div>
      ) : null}
    </section>
  );
}
