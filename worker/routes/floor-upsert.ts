/**
 * The raw upsert recipe of the import benchmark's floor (../shared/TOOLCHAIN.md): one prepared
 * 11-row `INSERT … ON CONFLICT(account_id, email) DO UPDATE` (8 bound values a row plus 2 shared:
 * 90 parameters, under D1's 100), 200 statements per `batch()`. The development-only route
 * (dev-bench.ts) runs it on D1 and bench/imports.ts runs the same SQL on bare SQLite (better-sqlite3)
 * as the reference, so both floors write the same rows with the same statements.
 */

/** Rows per statement and statements per batch. */
export const ROWS_PER_STATEMENT = 11;
export const STATEMENTS_PER_BATCH = 200;

const COLUMNS =
  "id, account_id, email, first_name, last_name, employee_number, department, cost_centre, role, active, source, created_at, updated_at";
const UPSERT_SUFFIX =
  "ON CONFLICT(account_id, email) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name, " +
  "employee_number = excluded.employee_number, department = excluded.department, cost_centre = excluded.cost_centre, " +
  "role = excluded.role, active = excluded.active, updated_at = excluded.updated_at";

/** The upsert of `count` people; binds ?1 account, ?2 now, then 8 values per person (personValues). */
export function floorUpsertSql(count: number): string {
  const rowSql = (n: number) =>
    `(?${n + 1}, ?1, ?${n + 2}, ?${n + 3}, ?${n + 4}, ?${n + 5}, ?${n + 6}, ?${n + 7}, ?${n + 8}, 1, 'sync', ?2, ?2)`;
  const values = Array.from({ length: count }, (_, r) => rowSql(2 + r * 8)).join(", ");
  return `INSERT INTO people (${COLUMNS}) VALUES ${values} ${UPSERT_SUFFIX}`;
}

/** The same generated person as bench/imports.ts writes into its CSV (role Claimant, Active Yes). */
export function personValues(prefix: string, i: number): string[] {
  return [
    `per_${prefix}_${i}`,
    `user${i}@${prefix}.example`,
    `First${i}`,
    `Last${i}`,
    `E${prefix}${i}`,
    `Dept ${i % 50}`,
    `CC${i % 200}`,
    "claimant",
  ];
}

/**
 * Runs the recipe: `rows` people in statements of ROWS_PER_STATEMENT, STATEMENTS_PER_BATCH per
 * `runBatch` (which must apply its statements atomically), through a statement maker of the
 * caller's database.
 */
export async function floorUpsert<S>(
  rows: number,
  account: string,
  prefix: string,
  now: number,
  prepare: (count: number) => (params: unknown[]) => S,
  runBatch: (statements: S[]) => Promise<void> | void,
) {
  const full = prepare(ROWS_PER_STATEMENT);
  let batch: S[] = [];
  let statements = 0;
  let batches = 0;
  for (let i = 0; i < rows; i += ROWS_PER_STATEMENT) {
    const count = Math.min(ROWS_PER_STATEMENT, rows - i);
    const params: unknown[] = [account, now];
    for (let r = i; r < i + count; r++) params.push(...personValues(prefix, r));
    batch.push((count === ROWS_PER_STATEMENT ? full : prepare(count))(params));
    statements++;
    if (batch.length === STATEMENTS_PER_BATCH) {
      await runBatch(batch);
      batches++;
      batch = [];
    }
  }
  if (batch.length > 0) {
    await runBatch(batch);
    batches++;
  }
  return { statements, batches };
}
