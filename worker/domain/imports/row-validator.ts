import { z } from "zod";
import { BOOLEAN_WORDS, type ColumnDef, type ColumnTable } from "./columns.ts";

/** A normalised row: only the columns that change something; `null` clears a value. */
export type RowValues = Record<string, string | boolean | null>;

export interface CellError {
  /** The column's canonical header, or `(row)` for the whole row. */
  column: string;
  reason: string;
  value: string | null;
}

export type RowResult =
  | { ok: true; key: string; values: RowValues }
  | { ok: false; key: string | null; errors: CellError[] };

function isRealDate(s: string) {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

const booleanWords = new Map<string, boolean>([
  ...BOOLEAN_WORDS.true.map((w) => [w, true] as const),
  ...BOOLEAN_WORDS.false.map((w) => [w, false] as const),
]);

/** The zod schema of one non-blank, trimmed cell, from its column definition. */
export function cellSchema(col: ColumnDef): z.ZodType<string | boolean> {
  const base = z.string().max(col.maxLength, `is longer than ${col.maxLength} characters`);
  switch (col.type) {
    case "email":
      return base.toLowerCase().pipe(z.email({ error: "is not an email address" }));
    case "text":
      return base;
    case "date":
      return base.refine((s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && isRealDate(s), "is not a date in YYYY-MM-DD form");
    case "boolean": {
      const words = [...BOOLEAN_WORDS.true, ...BOOLEAN_WORDS.false].join(", ");
      return base
        .refine((s) => booleanWords.has(s.toLowerCase()), `must be one of ${words} (any case)`)
        .transform((s) => booleanWords.get(s.toLowerCase()) as boolean);
    }
    case "choice": {
      const values = col.values ?? [];
      const lower = new Map(values.map((v) => [v.toLowerCase(), v.toLowerCase()]));
      return base
        .refine((s) => lower.has(s.toLowerCase()), `must be one of ${values.join(", ")}`)
        .transform((s) => lower.get(s.toLowerCase()) as string);
    }
  }
}

type CellResult = { ok: true; value: string | boolean } | { ok: false; reason: string };
type CellParser = (cell: string) => CellResult;

/** Distinct cells remembered per column by one validator (one step of a file). */
const REMEMBERED_CELLS = 1000;

/**
 * Parses cells with `schema`, remembering the outcome for the first REMEMBERED_CELLS distinct
 * cells: columns such as Role, Active or Department repeat a few values on every row, and zod
 * then runs once per value and step rather than once per row.
 */
function cellParser(schema: z.ZodType<string | boolean>): CellParser {
  const seen = new Map<string, CellResult>();
  return (cell) => {
    const known = seen.get(cell);
    if (known) return known;
    const parsed = schema.safeParse(cell);
    const result: CellResult = parsed.success
      ? { ok: true, value: parsed.data }
      : { ok: false, reason: parsed.error.issues[0]?.message ?? "is invalid" };
    if (seen.size < REMEMBERED_CELLS) seen.set(cell, result);
    return result;
  };
}

/** Rules across cells of one row, per kind; each returns errors naming a column. */
type CrossRule = (values: RowValues, key: string) => CellError | null;

const crossRules: Record<ColumnTable["kind"], CrossRule[]> = {
  users: [
    (v, key) =>
      typeof v.approverEmail === "string" && v.approverEmail === key
        ? { column: "Approver Email", reason: "a user cannot be their own approver", value: v.approverEmail }
        : null,
  ],
  projects: [
    (v) =>
      typeof v.startDate === "string" && typeof v.endDate === "string" && v.endDate < v.startDate
        ? { column: "End Date", reason: `is before Start Date ${v.startDate}`, value: v.endDate }
        : null,
  ],
};

/**
 * Builds the validator for one file: `columns[i]` is the definition of the
 * file's i-th field (null for an ignored, unnamed column). Each column's zod
 * schema is built once per file and checks its cell (cell by cell: wrapping
 * them in one z.object costs about three times as much per row).
 */
export function rowValidator(table: ColumnTable, columns: readonly (ColumnDef | null)[]) {
  const present = columns.filter((c): c is ColumnDef => c !== null);
  const cells = columns.map((c) => (c ? cellParser(cellSchema(c)) : null));
  const keyIndex = columns.findIndex((c) => c?.key);
  const keyCol = columns[keyIndex];
  if (!keyCol || present.length === 0) throw new Error("the key column must be present");
  const rules = crossRules[table.kind];

  return (fields: readonly string[]): RowResult => {
    const rawKey = (fields[keyIndex] ?? "").trim();
    if (rawKey === "") {
      return { ok: false, key: null, errors: [{ column: keyCol.header, reason: "is required", value: null }] };
    }
    const values: RowValues = {};
    const errors: CellError[] = [];
    for (let i = 0; i < columns.length; i++) {
      const col = columns[i];
      if (!col || col.id in values) continue;
      const cell = (fields[i] ?? "").trim();
      if (cell === "") {
        if (col.blank === "clears") values[col.id] = null;
        continue;
      }
      const parsed = (cells[i] as CellParser)(cell);
      if (parsed.ok) values[col.id] = parsed.value;
      else errors.push({ column: col.header, reason: parsed.reason, value: cell });
    }
    if (errors.length) {
      const keyOk = !errors.some((e) => e.column === keyCol.header);
      return { ok: false, key: keyOk ? (values[keyCol.id] as string) : null, errors };
    }
    const key = values[keyCol.id] as string;
    const crossErrors: CellError[] = [];
    for (const rule of rules) {
      const error = rule(values, key);
      if (error) crossErrors.push(error);
    }
    return crossErrors.length ? { ok: false, key, errors: crossErrors } : { ok: true, key, values };
  };
}
