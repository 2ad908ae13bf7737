/**
 * Bulk statements within D1's limits (at most 100 bound parameters per
 * statement, 2 MB per value). Many rows travel as ONE bound parameter: a JSON
 * array that SQLite unpacks with `json_each`. A 2,000-row step is then one
 * INSERT instead of ~170 multi-row VALUES statements, and one SELECT … IN
 * instead of 20: the per-statement cost, not the rows, is what dominates in D1.
 */

/** Characters of JSON per bound parameter (UTF-16 units; ≤ 3 bytes each stays under D1's 2 MB per value). */
export const MAX_JSON_CHARS = 600_000;

/**
 * Splits `items` into JSON arrays of at most `maxChars` characters each (always at least one item
 * per array). Stringifying a whole array at once costs a third of stringifying item by item and
 * joining, so the items are cut into even runs that fit, each stringified whole.
 */
export function jsonArrays(items: readonly unknown[], maxChars = MAX_JSON_CHARS): string[] {
  if (items.length === 0) return [];
  const json = JSON.stringify(items);
  if (json.length <= maxChars || items.length === 1) return [json];
  const runs = Math.min(items.length, Math.ceil(json.length / maxChars) + 1);
  const size = Math.ceil(items.length / runs);
  const out: string[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...jsonArrays(items.slice(i, i + size), maxChars));
  return out;
}

/** The placeholder `(?IN)` in `sql` becomes a subquery over the JSON array bound right after `shared`. */
const inList = (sql: string, shared: readonly unknown[]) =>
  sql.replace("(?IN)", `(SELECT value FROM json_each(?${shared.length + 1}))`);

/**
 * `INSERT … SELECT <columns> FROM json_each(?n) j <suffix>` statements for
 * `rows`: each row is a JSON array, and `columns` read it as `j.value ->> 0`,
 * `j.value ->> 1`, … (`->` keeps a nested value as JSON text). `shared` values
 * are bound as ?1…?n and may be referenced in `columns`.
 */
export function jsonInsert(
  d1: D1Database,
  head: string,
  columns: string,
  shared: readonly unknown[],
  rows: readonly (readonly unknown[])[],
  suffix = "",
): D1PreparedStatement[] {
  if (rows.length === 0) return [];
  // `WHERE true` keeps SQLite from reading ON CONFLICT as a join constraint.
  const stmt = d1.prepare(`${head} SELECT ${columns} FROM json_each(?${shared.length + 1}) AS j WHERE true ${suffix}`);
  return jsonArrays(rows).map((array) => stmt.bind(...shared, array));
}

/** Runs `sql` (with `(?IN)` where the list goes) over `values` and concatenates the rows. */
export async function selectIn<T>(
  d1: D1Database,
  sql: string,
  shared: readonly unknown[],
  values: readonly unknown[],
): Promise<T[]> {
  if (values.length === 0) return [];
  const stmt = d1.prepare(inList(sql, shared));
  const statements = jsonArrays(values).map((array) => stmt.bind(...shared, array));
  const results = statements.length === 1 ? [await statements[0]!.all<T>()] : await d1.batch<T>(statements);
  return results.flatMap((r) => r.results);
}

/** `UPDATE/DELETE … WHERE x IN (?IN)` statements over `values`, for a batch. */
export function statementsIn(d1: D1Database, sql: string, shared: readonly unknown[], values: readonly unknown[]) {
  if (values.length === 0) return [];
  const stmt = d1.prepare(inList(sql, shared));
  return jsonArrays(values).map((array) => stmt.bind(...shared, array));
}
