/**
 * The column tables are the contract with customers' IT teams: the validator,
 * the specification page and the template CSV are all generated from them, so
 * they cannot drift apart.
 */

export type ColumnType = "email" | "text" | "date" | "boolean" | "choice";

export interface ColumnDef {
  /** Field name in a normalised row and in the API (`firstName`). */
  id: string;
  /** The canonical header, as written in the template (`First Name`). */
  header: string;
  /** Other accepted headers; all names match ignoring case, spaces and punctuation. */
  aliases: readonly string[];
  type: ColumnType;
  /** The column that identifies a record; always required. */
  key?: true;
  /** A new record needs a value here; an existing one keeps its value when the cell is blank. */
  requiredWhenNew?: true;
  maxLength: number;
  /** For `choice`: the accepted values (matched ignoring case), as documented. */
  values?: readonly string[];
  /**
   * What a blank cell means when the column is present: `clears` the stored
   * value, or leaves it `unchanged` (columns that cannot be empty).
   */
  blank: "clears" | "unchanged";
  description: string;
  /** One example value per template row; "" leaves that template cell blank. */
  examples: readonly string[];
}

export type ImportKindName = "users" | "projects";

/** One kind of import: its columns and the text shown to IT teams. */
export interface ColumnTable {
  kind: ImportKindName;
  title: string;
  /** The delivery kind that imports this table. */
  deliveryKind: "user_sync" | "project_sync";
  columns: readonly ColumnDef[];
  /** Rules that involve more than one cell, for the specification page. */
  notes: readonly string[];
}

export const BOOLEAN_WORDS = {
  true: ["yes", "true", "1", "y"],
  false: ["no", "false", "0", "n"],
} as const;

export function keyColumn(table: ColumnTable): ColumnDef {
  const key = table.columns.find((c) => c.key);
  if (!key) throw new Error(`column table ${table.kind} has no key`);
  return key;
}

/** Header names compare on letters and digits only: `First Name`, `first_name`, `FIRSTNAME` are one. */
export function normaliseHeader(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, "");
}
