import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { AppError } from "../errors.ts";
import { requireOperator } from "../http/auth.ts";
import type { AppEnv } from "../http/types.ts";

/** Rows per statement (8 bound values each: 88 parameters, under D1's 100) and statements per batch. */
const ROWS_PER_STATEMENT = 11;
const STATEMENTS_PER_BATCH = 200;
const MAX_ROWS = 2_000_000;

const COLUMNS =
  "id, account_id, email, first_name, last_name, employee_number, department, cost_centre, role, active, source, created_at, updated_at";
const UPSERT_SUFFIX =
  "ON CONFLICT(account_id, email) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name, " +
  "employee_number = excluded.employee_number, department = excluded.department, cost_centre = excluded.cost_centre, " +
  "role = excluded.role, active = excluded.active, updated_at = excluded.updated_at";

/** The same generated person as bench/imports.ts writes into its CSV (role Claimant, Active Yes). */
function personValues(prefix: string, i: number): string[] {
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
 * Development only (SLUICE_ENV=development): the raw-D1 floor for the import benchmark (bench/imports.ts).
 * `POST /api/__bench/d1-upsert?rows=N&account=<id>&prefix=<text>` (under /api/ because wrangler.toml's
 * `run_worker_first` sends only /api/*, /relay/*, /scim/*, /healthz and /__scheduled to the Worker) generates N people inside the Worker and
 * upserts them into `people` with one prepared 11-row `INSERT … ON CONFLICT(account_id, email) DO UPDATE`
 * bound per chunk, 200 statements per `batch()` (the recipe in ../shared/TOOLCHAIN.md). Answers the
 * elapsed milliseconds measured inside the Worker
 * (workerd's clock advances only across I/O, so this is the time from the first to the last `batch()` reply). Production answers 404.
 * It writes into whichever account it names, so it needs `Authorization: Bearer <OPERATOR_TOKEN>` (a
 * header also keeps a web page from posting to a local Worker behind the user's back).
 */
export const devOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (c.var.deps.config.SLUICE_ENV !== "development") throw new AppError("not_found", "No such route");
  await next();
});

export const devBench = new Hono<AppEnv>().post("/api/__bench/d1-upsert", devOnly, requireOperator, async (c) => {
  const rows = Number(c.req.query("rows"));
  const account = c.req.query("account");
  const prefix = c.req.query("prefix") ?? "floor";
  if (!Number.isInteger(rows) || rows < 1 || rows > MAX_ROWS)
    throw new AppError("bad_request", "rows must be 1…2,000,000");
  if (!account) throw new AppError("bad_request", "account is required");
  if (!/^[a-z0-9]+$/.test(prefix)) throw new AppError("bad_request", "prefix must be [a-z0-9]+");
  const d1 = c.env.DB;
  const now = Date.now();
  const rowSql = (n: number) =>
    `(?${n + 1}, ?1, ?${n + 2}, ?${n + 3}, ?${n + 4}, ?${n + 5}, ?${n + 6}, ?${n + 7}, ?${n + 8}, 1, 'sync', ?2, ?2)`;
  const prepare = (count: number) => {
    const values = Array.from({ length: count }, (_, r) => rowSql(2 + r * 8)).join(", ");
    return d1.prepare(`INSERT INTO people (${COLUMNS}) VALUES ${values} ${UPSERT_SUFFIX}`);
  };
  const full = prepare(ROWS_PER_STATEMENT);
  const started = performance.now();
  let batch: D1PreparedStatement[] = [];
  let statements = 0;
  let batches = 0;
  for (let i = 0; i < rows; i += ROWS_PER_STATEMENT) {
    const count = Math.min(ROWS_PER_STATEMENT, rows - i);
    const params: unknown[] = [account, now];
    for (let r = i; r < i + count; r++) params.push(...personValues(prefix, r));
    batch.push((count === ROWS_PER_STATEMENT ? full : prepare(count)).bind(...params));
    statements++;
    if (batch.length === STATEMENTS_PER_BATCH) {
      await d1.batch(batch);
      batches++;
      batch = [];
    }
  }
  if (batch.length > 0) {
    await d1.batch(batch);
    batches++;
  }
  const elapsedMs = performance.now() - started;
  return c.json({ rows, statements, batches, elapsedMs });
});
