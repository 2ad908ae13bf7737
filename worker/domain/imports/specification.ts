import { BOOLEAN_WORDS, type ColumnTable, normaliseHeader } from "./columns.ts";
import { csvLine } from "./csv-writer.ts";

const FILE_RULES = [
  "CSV with a header row. Header names match ignoring case, spaces and punctuation (First Name, first_name and FIRSTNAME are one column).",
  "Encodings: UTF-8 with or without BOM, UTF-16 LE/BE with BOM, Windows-1252. Delimiters: comma, semicolon, tab or pipe, detected from the header.",
  "Quoted fields may contain delimiters, quotes (doubled) and line breaks (stored as LF); CRLF, LF or CR line endings, even mixed; blank lines are ignored.",
  "An unknown or duplicated header, a missing key column, an empty file or a file that is not CSV rejects the whole file; nothing is applied.",
  "A row that fails validation is skipped with its row number, column and reason; the other rows are applied. Row 1 is the header.",
  "Values are trimmed. A cell starting with =, +, - or @ is stored as text, and escaped in the CSV files Sluice writes back.",
  'A file name containing the word "test" (Users Test.csv, test_users.csv, users-TEST-2.csv; not contest.csv) is validated and reported but changes nothing.',
  "Files up to 512 MiB (about a million rows) are accepted.",
];

function typeText(table: ColumnTable, id: string) {
  const col = table.columns.find((c) => c.id === id);
  if (!col) return "";
  switch (col.type) {
    case "email":
      return "email address";
    case "date":
      return "date (YYYY-MM-DD)";
    case "boolean":
      return `yes/no (${[...BOOLEAN_WORDS.true, ...BOOLEAN_WORDS.false].join(", ")})`;
    case "choice":
      return `one of ${col.values?.join(", ")}`;
    default:
      return `text, up to ${col.maxLength} characters`;
  }
}

/** The specification as data, generated from the column table (for the API and the UI). */
export function specification(table: ColumnTable) {
  return {
    kind: table.kind,
    title: table.title,
    deliveryKind: table.deliveryKind,
    fileRules: FILE_RULES,
    columns: table.columns.map((c) => ({
      header: c.header,
      aliases: c.aliases,
      matchedAs: normaliseHeader(c.header),
      type: c.type,
      typeDescription: typeText(table, c.id),
      key: c.key === true,
      required: c.key === true,
      requiredWhenNew: c.requiredWhenNew === true,
      maxLength: c.maxLength,
      values: c.values ?? null,
      blankCell: c.blank === "clears" ? "clears the value" : "leaves the value unchanged",
      description: c.description,
      example: c.examples.find((e) => e !== "") ?? "",
    })),
    notes: table.notes,
  };
}

/** The template: the header and one example row per example value. */
export function templateCsv(table: ColumnTable) {
  const rows = Math.max(...table.columns.map((c) => c.examples.length));
  let csv = csvLine(table.columns.map((c) => c.header));
  for (let i = 0; i < rows; i++) csv += csvLine(table.columns.map((c) => c.examples[i] ?? ""));
  return csv;
}

const esc = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/** A readable, self-contained page (no scripts, inline style only) for IT teams. */
export function specificationHtml(table: ColumnTable, templateHref: string) {
  const spec = specification(table);
  const rows = spec.columns
    .map(
      (c) =>
        `<tr><td><strong>${esc(c.header)}</strong>${c.key ? " (key)" : ""}${
          c.aliases.length ? `<br><small>also: ${esc(c.aliases.join(", "))}</small>` : ""
        }</td><td>${esc(c.typeDescription)}</td><td>${c.required ? "always" : c.requiredWhenNew ? "when new" : "no"}</td><td>${esc(
          c.blankCell,
        )}</td><td>${esc(c.description)}</td><td><code>${esc(c.example)}</code></td></tr>`,
    )
    .join("\n");
  const list = (items: readonly string[]) => `<ul>${items.map((i) => `<li>${esc(i)}</li>`).join("")}</ul>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sluice — ${esc(spec.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccd;padding:.4rem .6rem;text-align:left;vertical-align:top}
th{background:#eef1f5}code{background:#f3f4f6;padding:0 .2rem}</style></head>
<body><h1>${esc(spec.title)}</h1>
<p>Sluice imports CSV files dropped on a ${table.deliveryKind === "user_sync" ? "User Sync" : "Project Sync"} delivery (SFTP or HTTPS). <a href="${esc(templateHref)}">Download the template CSV</a>.</p>
<h2>File rules</h2>${list(spec.fileRules)}
<h2>Columns</h2>
<table><thead><tr><th>Column</th><th>Type</th><th>Required</th><th>Blank cell</th><th>Rules</th><th>Example</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<h2>Rules across rows</h2>${list(spec.notes)}
</body></html>`;
}
