import { checkDueDeliveries } from "../domain/alerts/monitor.ts";
import type { Deps } from "../domain/deps.ts";
import { sweepStaleUploads } from "../domain/files/uploads.ts";
import { purgeStaging } from "../domain/imports/reprocess.ts";
import { requeueStrandedWebhooks } from "../domain/webhooks/deliver.ts";

/** The cron handler: thin, it calls domain code. `now` is the controller's scheduled time. */
export async function runScheduled(deps: Deps) {
  const { inline, queued } = await checkDueDeliveries(deps);
  const aborted = await sweepStaleUploads(deps);
  const requeued = await requeueStrandedWebhooks(deps);
  const purged = await purgeStaging(deps);
  if (requeued > 0) console.log(`cron: re-enqueued ${requeued} stranded webhook deliveries`);
  const summary = { inline, queued, aborted, requeuedWebhooks: requeued, stagedRowsPurged: purged };
  if (inline + queued + aborted > 0) {
    console.log(`cron: checked ${inline} due deliveries, queued ${queued} more, aborted ${aborted} stale uploads`);
  }
  return summary;
}
