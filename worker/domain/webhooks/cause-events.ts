import { sql } from "drizzle-orm";
import type { Deps } from "../deps.ts";
import { type PreparedEvent, prepareEvent } from "./events.ts";

/**
 * The events Sluice's own work emits, one builder per cause. Each payload
 * carries ids, names and counts for the receiver to fetch details with the
 * API; never file contents, row values or credentials.
 */

type D = Pick<Deps, "db" | "now">;

export function fileReceivedEvent(
  deps: D,
  file: {
    accountId: string;
    deliveryId: string;
    fileId: string;
    name: string;
    size: number;
    sha256: string;
    via: string;
    test: boolean;
    receivedAt: number;
  },
): Promise<PreparedEvent> {
  return prepareEvent(deps, {
    accountId: file.accountId,
    type: "file.received",
    key: `file.received:${file.fileId}`,
    data: {
      fileId: file.fileId,
      deliveryId: file.deliveryId,
      name: file.name,
      size: file.size,
      sha256: file.sha256,
      via: file.via,
      test: file.test,
      receivedAt: new Date(file.receivedAt).toISOString(),
    },
  });
}

export type ImportOutcome = "applied" | "tested" | "rejected" | "held" | "failed";

export interface ImportCounts {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  deactivated: number;
  skipped: number;
  errors: number;
}

/**
 * A run reached a final status. `import.held` and a later `import.applied` (or
 * `import.rejected`) of the same run are distinct events. With `onlyIfFailed`
 * the rows are written only if the run's status really is `failed` when the
 * batch runs (a late dead letter must not announce a failure that did not happen).
 */
export function importOutcomeEvent(
  deps: D,
  run: { accountId: string; runId: string; fileId: string; deliveryId: string; test: boolean; attempt?: number },
  status: ImportOutcome,
  counts: ImportCounts,
  opts: { onlyIfFailed?: boolean } = {},
): Promise<PreparedEvent> {
  return prepareEvent(deps, {
    accountId: run.accountId,
    type: `import.${status}`,
    // A reprocessed file announces its outcome again: each attempt has its own key.
    key: `import.${status}:${run.runId}${(run.attempt ?? 1) > 1 ? `:${run.attempt}` : ""}`,
    data: {
      runId: run.runId,
      fileId: run.fileId,
      deliveryId: run.deliveryId,
      status,
      test: run.test,
      counts: {
        rows: counts.rows,
        created: counts.created,
        updated: counts.updated,
        unchanged: counts.unchanged,
        deactivated: counts.deactivated,
        skipped: counts.skipped,
        errors: counts.errors,
      },
    },
    ...(opts.onlyIfFailed
      ? {
          guard: sql`EXISTS (SELECT 1 FROM import_runs WHERE id = ${run.runId} AND account_id = ${run.accountId} AND status = 'failed')`,
        }
      : {}),
  });
}

/** A monitored delivery's window closed with no file: one event per missed window. */
export function deliveryOverdueEvent(
  deps: D,
  d: {
    accountId: string;
    deliveryId: string;
    name: string;
    windowStart: number;
    deadline: number;
    lastReceivedAt: number | null;
  },
): Promise<PreparedEvent> {
  return prepareEvent(deps, {
    accountId: d.accountId,
    type: "delivery.overdue",
    key: `delivery.overdue:${d.deliveryId}:${d.deadline}`,
    data: {
      deliveryId: d.deliveryId,
      name: d.name,
      windowStart: new Date(d.windowStart).toISOString(),
      deadline: new Date(d.deadline).toISOString(),
      lastReceivedAt: d.lastReceivedAt === null ? null : new Date(d.lastReceivedAt).toISOString(),
    },
  });
}
