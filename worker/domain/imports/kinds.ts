import type { ColumnTable } from "./columns.ts";
import type { RowValues } from "./row-validator.ts";
import type { RowError, StagedData } from "./staging.ts";

/** A record as stored, in the import's terms (column ids, normalised values). */
export interface Existing {
  id: string;
  values: RowValues;
}

/** A staged row being planned. */
export interface PlanRow {
  rowNumber: number;
  key: string;
  values: RowValues;
}

/** The row range a step applies, with what its statements bind. */
export interface ApplyArgs {
  accountId: string;
  runId: string;
  /** Rows with `from < row_number <= to`. */
  from: number;
  to: number;
  now: number;
  /** Today (YYYY-MM-DD, UTC): leave dates before it make a user inactive. */
  today: string;
}

/**
 * One kind of import (users, projects): the seam between the generic run
 * (reading, staging, slicing) and the tables it writes. Every statement is
 * scoped to the run's account.
 */
export interface ImportKind {
  table: ColumnTable;
  idPrefix: "per" | "prj";
  /** A column besides the key whose values are unique within the account. */
  uniqueColumn: string | null;
  /** How staged rows store their values (`import_rows.data`): see `stagedData`. */
  staged: StagedData;
  /** Values of a record that does not exist yet. */
  defaults: RowValues;
  loadExisting(d1: D1Database, accountId: string, keys: string[]): Promise<Map<string, Existing>>;
  /**
   * Checks of one batch of rows that need the database (required-when-new,
   * values held by other records, approvers that exist); returns a function
   * giving each row's errors. Nothing is applied before the whole file is read,
   * so the database is what every batch of the file is planned against.
   */
  prepareChecks(
    d1: D1Database,
    accountId: string,
    rows: PlanRow[],
  ): Promise<(row: PlanRow, merged: RowValues, existing: Existing | undefined) => RowError[]>;
  /**
   * Checks against the rest of the file, run once the whole file is staged: a
   * SELECT (bound: ?1 account, ?2 run, ?3 from, ?4 to) of the staged rows with
   * `from < row_number <= to` that fail, as (row_number, action, "column",
   * reason, value); null when the kind has none.
   */
  fileChecksSql: string | null;
  /** Derived values (a past Leave Date makes a user inactive). */
  effective(merged: RowValues, today: string): RowValues;
  /** Creates then updates the staged rows of a range, straight from staging. */
  applyStatements(d1: D1Database, a: ApplyArgs): D1PreparedStatement[];
  /** Whether `resolveStatements` has work: a second pass after every row exists. */
  resolvesAfterApply: boolean;
  /** Second pass after every row exists (approvers created later in the same file). */
  resolveStatements(d1: D1Database, a: ApplyArgs): D1PreparedStatement[];
  /** SQL (bound: ?1 account, ?2 run) selecting ids of active records absent from the file. */
  absentIdsSql: string;
  /** The table full sync deactivates in. */
  tableName: "people" | "projects";
}
