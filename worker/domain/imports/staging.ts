import { jsonInsert } from "./d1-bulk.ts";
import type { RowValues } from "./row-validator.ts";
import type { Counts, RunRow } from "./run-state.ts";

/** At most this many row errors are stored per run; the rest are counted as dropped. */
export const MAX_STORED_ERRORS = 1000;

export interface RowError {
  rowNumber: number;
  column: string;
  reason: string;
  value: string | null;
}

export interface StagedRow {
  rowNumber: number;
  key: string;
  uniqueValue: string | null;
  newId: string;
  values: RowValues;
  /** `pending` until planned; `skipped` when the file-wide checks fail it after the plan. */
  action: "pending" | "error" | "create" | "update" | "unchanged" | "skipped";
}

/** Inserts for staged rows (`?1` run, `?2` account shared by every row). */
export function stageStatements(d1: D1Database, run: RunRow, rows: readonly StagedRow[]) {
  return jsonInsert(
    d1,
    "INSERT INTO import_rows (run_id, account_id, row_number, key, unique_value, new_id, data, action)",
    "?1, ?2, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value -> 4, j.value ->> 5",
    [run.id, run.accountId],
    rows.map((r) => [r.rowNumber, r.key, r.uniqueValue, r.newId, r.values, r.action]),
  );
}

/**
 * Inserts for row errors, keeping at most MAX_STORED_ERRORS per run; `counts`
 * is updated in place. A replayed step re-inserts the same keys, which the
 * primary key turns into no-ops. The key is (run, row, column): errors given
 * for the same cell are merged into one, so that every error counted is stored
 * or counted as dropped.
 */
export function errorStatements(d1: D1Database, run: RunRow, counts: Counts, errors: readonly RowError[]) {
  const merged = onePerCell(errors);
  const stored = counts.errors - counts.errorsDropped;
  const room = Math.max(0, MAX_STORED_ERRORS - stored);
  const kept = merged.slice(0, room);
  counts.errors += merged.length;
  counts.errorsDropped += merged.length - kept.length;
  return jsonInsert(
    d1,
    'INSERT INTO row_errors (account_id, run_id, row_number, "column", reason, value)',
    "?1, ?2, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3",
    [run.accountId, run.id],
    kept.map((e) => [e.rowNumber, e.column, e.reason, e.value === null ? null : e.value.slice(0, 500)]),
    "ON CONFLICT DO NOTHING",
  );
}

function onePerCell(errors: readonly RowError[]): readonly RowError[] {
  const byCell = new Map<string, RowError>();
  for (const e of errors) {
    const cell = `${e.rowNumber}\u0000${e.column}`;
    const earlier = byCell.get(cell);
    if (earlier) byCell.set(cell, { ...earlier, reason: `${earlier.reason}; ${e.reason}` });
    else byCell.set(cell, e);
  }
  return byCell.size === errors.length ? errors : [...byCell.values()];
}
