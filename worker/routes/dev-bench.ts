import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { AppError } from "../errors.ts";
import { requireOperator } from "../http/auth.ts";
import type { AppEnv } from "../http/types.ts";
import { floorUpsert, floorUpsertSql } from "./floor-upsert.ts";

const MAX_ROWS = 2_000_000;

/**
 * Development only (SLUICE_ENV=development): the raw-D1 floor for the import benchmark (bench/imports.ts).
 * `POST /api/__bench/d1-upsert?rows=N&account=<id>&prefix=<text>` (under /api/ because wrangler.toml's
 * `run_worker_first` sends only /api/*, /relay/*, /scim/*, /healthz and /__scheduled to the Worker) generates N people inside the Worker and
 * upserts them into `people` with the recipe of floor-upsert.ts (11-row upserts, 200 statements per
 * `batch()`, as in ../shared/TOOLCHAIN.md). Answers the
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
  const started = performance.now();
  const { statements, batches } = await floorUpsert(
    rows,
    account,
    prefix,
    Date.now(),
    (count) => {
      const stmt = d1.prepare(floorUpsertSql(count));
      return (params) => stmt.bind(...params);
    },
    async (batch) => {
      await d1.batch(batch);
    },
  );
  const elapsedMs = performance.now() - started;
  return c.json({ rows, statements, batches, elapsedMs });
});
