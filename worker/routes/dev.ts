import { Hono } from "hono";
import { AppError } from "../errors.ts";
import type { AppEnv } from "../http/types.ts";
import { runScheduled } from "../jobs/scheduled.ts";

/**
 * Development only (SLUICE_ENV=development): replay the cron for a chosen
 * instant, `GET /__scheduled?cron=*%2F5+*+*+*+*&time=<epoch ms>`. wrangler's own
 * `--test-scheduled` page cannot set the time, and with static assets its
 * `/cdn-cgi/handler/scheduled` does not reach the Worker. Production answers 404.
 */
export const dev = new Hono<AppEnv>().get("/__scheduled", async (c) => {
  const deps = c.var.deps;
  if (deps.config.SLUICE_ENV !== "development") throw new AppError("not_found", "No such route");
  const time = c.req.query("time");
  const now = time === undefined ? Date.now() : Number(time);
  if (!Number.isFinite(now)) throw new AppError("bad_request", "time must be epoch milliseconds");
  const r = await runScheduled({ ...deps, now: () => now });
  return c.text(
    `Ran scheduled event for ${new Date(now).toISOString()}: checked ${r.inline} due deliveries, queued ${r.queued} more`,
  );
});
