import { newId } from "../ids.ts";
import type { Counts } from "./run-state.ts";

const outcomes: Record<string, string> = {
  applied: "imported",
  tested: "checked as a Test file (nothing was changed)",
  rejected: "rejected (nothing was changed)",
  held: "held for an admin's approval (nothing was changed yet)",
  failed: "could not be imported (nothing was changed)",
};

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

/**
 * The import summary sent to a delivery's notification address when a file's
 * import finishes: what happened and the counts, never row contents.
 */
export function importSummary(input: {
  fileName: string;
  deliveryName: string;
  status: string;
  counts: Counts;
  message: string | null;
  link: string;
}) {
  const c = input.counts;
  const outcome = outcomes[input.status] ?? input.status;
  const lines = [
    `The file "${input.fileName}" for "${input.deliveryName}" was ${outcome}.`,
    `Rows: ${c.rows}. Created: ${c.created}. Updated: ${c.updated}. Unchanged: ${c.unchanged}. Deactivated: ${c.deactivated}. Skipped with errors: ${c.skipped}.`,
    ...(input.message && input.status !== "applied" && input.status !== "tested" ? [`Reason: ${input.message}`] : []),
  ];
  return {
    subject: `Sluice: ${input.fileName} ${input.status}${c.errors > 0 ? ` with ${c.errors} row error${c.errors === 1 ? "" : "s"}` : ""}`,
    text: `${lines.join("\n\n")}\n\nReport: ${input.link}\n`,
    html: `<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">${lines
      .map((l) => `<p>${escapeHtml(l)}</p>`)
      .join("")}<p><a href="${escapeHtml(input.link)}">Open the report in Sluice</a></p></body></html>`,
  };
}

/** The raw insert (for the run's step batch) of one summary email, idempotent per run, status and recipient. */
export function summaryInsert(
  d1: D1Database,
  e: {
    accountId: string;
    runId: string;
    status: string;
    to: string;
    subject: string;
    text: string;
    html: string;
    now: number;
  },
) {
  // Per status: a held file that is later approved gets a second summary, once.
  const key = `import_summary:${e.runId}:${e.status}:${e.to}`;
  return {
    key,
    statement: d1
      .prepare(
        `INSERT INTO email_outbox (id, account_id, idempotency_key, "to", subject, text, html, kind, status, attempts, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'import_summary', 'pending', 0, ?) ON CONFLICT DO NOTHING`,
      )
      .bind(newId("eml"), e.accountId, key, e.to, e.subject, e.text, e.html, e.now),
  };
}
