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
 * file's i-th field (null for an ignored, unnamed column). One zod object per
 * file, built once, validates every row.
 */
export function rowValidator(table: ColumnTable, columns: readonly (ColumnDef | null)[]) {
  const present = columns.filter((c): c is ColumnDef => c !== null);
  const shape: Record<string, z.ZodType> = {};
  for (const col of present) shape[col.id] = cellSchema(col).optional();
  const schema = z.object(shape);
  const keyCol = present.find((c) => c.key);
  if (!keyCol) throw new Error("the key column must be present");
  const rules = crossRules[table.kind];

  return (fields: readonly string[]): RowResult => {
    const cells: Record<string, string> = {};
    const cleared: RowValues = {};
    for (let i = 0; i < columns.length; i++) {
      const col = columns[i];
      if (!col) continue;
      const cell = (fields[i] ?? "").trim();
      if (cell !== "") cells[col.id] = cell;
      else if (col.blank === "clears") cleared[col.id] = null;
    }
    const rawKey = cells[keyCol.id];
    if (rawKey === undefined) {
      return { ok: false, key: null, errors: [{ column: keyCol.header, reason: "is required", value: null }] };
    }
    const parsed = schema.safeParse(cells);
    if (!parsed.success) {
      const errors: CellError[] = [];
      const seen = new Set<string>();
      for (const issue of parsed.error.issues) {
        const id = String(issue.path[0]);
        if (seen.has(id)) continue;
        seen.add(id);
        const col = present.find((c) => c.id === id) as ColumnDef;
        errors.push({ column: col.header, reason: issue.message, value: cells[id] ?? null });
      }
      const keyOk = !seen.has(keyCol.id);
      return { ok: false, key: keyOk ? normaliseKey(keyCol, rawKey) : null, errors };
    }
    const values = { ...cleared, ...(parsed.data as RowValues) };
    const key = values[keyCol.id] as string;
    const errors = rules.map((rule) => rule(values, key)).filter((e): e is CellError => e !== null);
    return errors.length ? { ok: false, key, errors } : { ok: true, key, values };
  };
}

function normaliseKey(col: ColumnDef, raw: string) {
  return col.type === "email" ? raw.toLowerCase() : raw;
}
