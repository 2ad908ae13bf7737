import { checkDueDeliveries } from "../domain/alerts/monitor.ts";
import type { Deps } from "../domain/deps.ts";
import { sweepStaleUploads } from "../domain/files/uploads.ts";

/** The cron handler: thin, it calls domain code. `now` is the controller's scheduled time. */
export async function runScheduled(deps: Deps) {
  const checked = await checkDueDeliveries(deps);
  const aborted = await sweepStaleUploads(deps);
  if (checked > 0 || aborted > 0)
    console.log(`cron: checked ${checked} due deliveries, aborted ${aborted} stale uploads`);
}
