/**
 * Bulk statements within D1's limits: at most 100 bound parameters per
 * statement. Multi-row statements are prepared once per row count and bound
 * per chunk (rebuilding SQL per statement is what makes ORMs slow here).
 */

export const MAX_PARAMS = 100;

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * `INSERT … VALUES (…),(…) <suffix>` statements for `rows`. `shared` values are
 * bound once as ?1…?n and may be referenced in `rowSql` (e.g. `(?1, ?, ?)`);
 * each `?` in `rowSql` takes the row's next value.
 */
export function multiRowInsert(
  d1: D1Database,
  head: string,
  rowSql: string,
  shared: readonly unknown[],
  rows: readonly (readonly unknown[])[],
  suffix = "",
): D1PreparedStatement[] {
  const perRow = (rowSql.match(/\?(?!\d)/g) ?? []).length;
  const rowsPerStatement = Math.max(1, Math.floor((MAX_PARAMS - shared.length) / perRow));
  const prepared = new Map<number, D1PreparedStatement>();
  return chunks(rows, rowsPerStatement).map((group) => {
    let stmt = prepared.get(group.length);
    if (!stmt) {
      let n = shared.length;
      const values = group.map(() => rowSql.replace(/\?(?!\d)/g, () => `?${++n}`)).join(",");
      stmt = d1.prepare(`${head} VALUES ${values} ${suffix}`);
      prepared.set(group.length, stmt);
    }
    return stmt.bind(...shared, ...group.flat());
  });
}

/** Runs `sql` (with `(?IN)` where the list goes) over `values` in chunks and concatenates the rows. */
export async function selectIn<T>(
  d1: D1Database,
  sql: string,
  shared: readonly unknown[],
  values: readonly unknown[],
): Promise<T[]> {
  if (values.length === 0) return [];
  const size = MAX_PARAMS - shared.length;
  const statements = chunks(values, size).map((group) => {
    const list = group.map((_, i) => `?${shared.length + i + 1}`).join(",");
    return d1.prepare(sql.replace("(?IN)", `(${list})`)).bind(...shared, ...group);
  });
  const results = statements.length === 1 ? [await statements[0]!.all<T>()] : await d1.batch<T>(statements);
  return results.flatMap((r) => r.results);
}

/** `UPDATE/DELETE … WHERE x IN (?IN)` statements over `values`, for a batch. */
export function statementsIn(d1: D1Database, sql: string, shared: readonly unknown[], values: readonly unknown[]) {
  return chunks(values, MAX_PARAMS - shared.length).map((group) => {
    const list = group.map((_, i) => `?${shared.length + i + 1}`).join(",");
    return d1.prepare(sql.replace("(?IN)", `(${list})`)).bind(...shared, ...group);
  });
}
