import { Hono } from "hono";
import { AppError } from "../errors.ts";
import { requireOperator } from "../http/auth.ts";
import type { AppEnv } from "../http/types.ts";
import { runScheduled } from "../jobs/scheduled.ts";
import { devOnly } from "./dev-bench.ts";

/**
 * Development only (SLUICE_ENV=development): replay the cron for a chosen
 * instant, `GET /__scheduled?cron=*%2F5+*+*+*+*&time=<epoch ms>`. wrangler's own
 * `--test-scheduled` page cannot set the time, and with static assets its
 * `/cdn-cgi/handler/scheduled` does not reach the Worker. Production answers 404.
 * It sends the alerts due at that instant, so it needs `Authorization: Bearer <OPERATOR_TOKEN>`:
 * a header also keeps a web page from firing it at a local Worker behind the user's back.
 */
export const dev = new Hono<AppEnv>().get("/__scheduled", devOnly, requireOperator, async (c) => {
  const deps = c.var.deps;
  const time = c.req.query("time");
  const now = time === undefined ? Date.now() : Number(time);
  if (!Number.isFinite(now)) throw new AppError("bad_request", "time must be epoch milliseconds");
  const r = await runScheduled({ ...deps, now: () => now });
  return c.text(
    `Ran scheduled event for ${new Date(now).toISOString()}: checked ${r.inline} due deliveries, queued ${r.queued} more`,
  );
});
