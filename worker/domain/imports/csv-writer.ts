/**
 * CSV the product writes back (error reports). A cell that a spreadsheet
 * would run as a formula (`=`, `+`, `-`, `@`, tab, CR) is prefixed with `'`,
 * so a value from an imported file can never execute in someone's Excel.
 */
export function escapeCell(value: string | number | null | undefined): string {
  let s = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvLine(cells: readonly (string | number | null | undefined)[]): string {
  return `${cells.map(escapeCell).join(",")}\r\n`;
}
