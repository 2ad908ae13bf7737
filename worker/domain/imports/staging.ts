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

/**
 * How a staged row's values are stored: `import_rows.data` is a JSON array with one slot per
 * column id of `slots` (the kind's `staged`), not an object keyed by id: SQLite stages it
 * about twice as fast, and it is about half the size. A slot holds the value, `null` when the row does
 * not give the column (the stored value is kept), or `""` when a blank cell clears it (a value is
 * trimmed and never empty). Trailing `null`s are left out.
 *
 * This is a stored format (a held run keeps its staged rows for days): slots are only ever
 * appended, and a change of meaning needs a migration of `import_rows` (see migration 0006).
 */
export function stagedData(slots: readonly string[]) {
  const at = (id: string) => {
    const i = slots.indexOf(id);
    if (i < 0) throw new Error(`column ${id} is not staged`);
    return i;
  };
  const raw = (id: string) => `(r.data ->> ${at(id)})`;
  return {
    slots,
    encode(values: RowValues): (string | boolean | null)[] {
      const out = slots.map((id) => {
        const v = values[id];
        return v === undefined ? null : v === null ? "" : v;
      });
      while (out.length > 0 && out[out.length - 1] === null) out.pop();
      return out;
    },
    /** SQL: the row's value of the column; NULL when it does not give one or clears it. */
    value: (id: string) => `nullif(${raw(id)}, '')`,
    /** SQL: whether the row gives the column (a value, or a blank that clears it). */
    given: (id: string) => `${raw(id)} IS NOT NULL`,
    /** SQL: the row's value when it gives the column, else the stored one (omitted columns are left unchanged). */
    keepOr: (id: string, table: string, column: string) =>
      `CASE WHEN ${raw(id)} IS NULL THEN ${table}.${column} ELSE nullif(${raw(id)}, '') END`,
  };
}

export type StagedData = ReturnType<typeof stagedData>;

/** Inserts for staged rows (`?1` run, `?2` account shared by every row). */
export function stageStatements(d1: D1Database, run: RunRow, data: StagedData, rows: readonly StagedRow[]) {
  return jsonInsert(
    d1,
    "INSERT INTO import_rows (run_id, account_id, row_number, key, unique_value, new_id, data, action)",
    "?1, ?2, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value -> 4, j.value ->> 5",
    [run.id, run.accountId],
    rows.map((r) => [r.rowNumber, r.key, r.uniqueValue, r.newId, data.encode(r.values), r.action]),
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
