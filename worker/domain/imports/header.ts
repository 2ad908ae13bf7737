import { AppError } from "../../errors.ts";
import { type ColumnDef, type ColumnTable, keyColumn, normaliseHeader } from "./columns.ts";

/** Thrown for anything that rejects a whole file; the message is shown to the admin and to IT. */
export const rejectFile = (message: string) => new AppError("validation_failed", message);

/** Text quoted from the file in a message is cut to this many characters. */
const QUOTED_CHARS = 40;
/** At most this many unknown columns are named in a rejection; the rest are counted. */
const NAMED_UNKNOWN = 5;

/**
 * A header name or value from the file, trimmed, cut to a readable length and
 * quoted, for a rejection message: the file decides how long its text is, the
 * message must stay one a person reads (it is stored on the run and emailed).
 */
export function quoteFromFile(text: string): string {
  const t = text.trim();
  if (t.length <= QUOTED_CHARS) return `"${t}"`;
  const last = t.charCodeAt(QUOTED_CHARS - 1);
  // Never cut a surrogate pair in two.
  const cut = last >= 0xd800 && last < 0xdc00 ? QUOTED_CHARS - 1 : QUOTED_CHARS;
  return `"${t.slice(0, cut)}…"`;
}

function levenshtein(a: string, b: string) {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] as number;
      row[j] = Math.min(cur + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] as number;
}

function namesOf(col: ColumnDef) {
  return [col.header, ...col.aliases];
}

/** The accepted header closest to an unknown one, for the rejection message. */
export function nearestHeader(table: ColumnTable, name: string): string {
  // Only the start of an absurdly long name is compared: the distance grows with its length.
  const target = normaliseHeader(name.slice(0, 200));
  let best = { header: keyColumn(table).header, distance: Number.POSITIVE_INFINITY };
  for (const col of table.columns) {
    for (const accepted of namesOf(col)) {
      const d = levenshtein(target, normaliseHeader(accepted));
      if (d < best.distance) best = { header: col.header, distance: d };
    }
  }
  return best.header;
}

/**
 * What a first line none of whose names is a column looks like, when it is a
 * recognisable other format (a JSON, XML or HTML export named .csv): `first` is
 * its first non-blank field.
 */
function otherFormat(first: string): string | null {
  const start = first.trimStart().slice(0, 20).toLowerCase();
  if (start.startsWith("[") || start.startsWith("{")) return "a JSON document";
  if (start.startsWith("<!doctype html") || start.startsWith("<html")) return "an HTML page";
  if (start.startsWith("<?xml") || /^<[a-z]/.test(start)) return "an XML document";
  return null;
}

/**
 * Maps the header row to column definitions (null for an unnamed column,
 * which Excel leaves behind after trailing delimiters and which is ignored).
 * Unknown, duplicated and missing-key headers reject the whole file.
 */
export function mapHeader(table: ColumnTable, header: readonly string[]): (ColumnDef | null)[] {
  const byName = new Map<string, ColumnDef>();
  for (const col of table.columns) for (const n of namesOf(col)) byName.set(normaliseHeader(n), col);
  const mapped = header.map((h) => (h.trim() === "" ? null : (byName.get(normaliseHeader(h)) ?? undefined)));
  const named = header.filter((h) => h.trim() !== "");
  if (named.length === 0) throw rejectFile("The file has no header row: its first line is empty");
  const unknown = header.filter((_, i) => mapped[i] === undefined);
  if (unknown.length === named.length) {
    const format = otherFormat(named[0] ?? "");
    if (format) throw rejectFile(`The file looks like ${format}, not CSV`);
    throw rejectFile(
      `The file has no header row: none of the names in its first line is a ${table.title} column. ` +
        `Add a header row such as: ${table.columns.map((c) => c.header).join(", ")}`,
    );
  }
  if (unknown.length > 0) {
    const list = unknown
      .slice(0, NAMED_UNKNOWN)
      .map((h) => `${quoteFromFile(h)} (did you mean "${nearestHeader(table, h)}"?)`)
      .join(", ");
    const more = unknown.length > NAMED_UNKNOWN ? ` and ${unknown.length - NAMED_UNKNOWN} more` : "";
    throw rejectFile(`Unknown column${unknown.length > 1 ? "s" : ""} ${list}${more}`);
  }
  const seen = new Map<string, string>();
  for (let i = 0; i < header.length; i++) {
    const col = mapped[i];
    if (!col) continue;
    const earlier = seen.get(col.id);
    if (earlier !== undefined) {
      throw rejectFile(
        `Duplicated column: ${quoteFromFile(earlier)} and ${quoteFromFile(header[i] ?? "")} are both ${col.header}`,
      );
    }
    seen.set(col.id, header[i]?.trim() ?? "");
  }
  const key = keyColumn(table);
  if (!seen.has(key.id)) throw rejectFile(`The required column "${key.header}" is missing`);
  return mapped as (ColumnDef | null)[];
}
