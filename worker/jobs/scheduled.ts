import type { Deps } from "../domain/deps.ts";
import { sweepStaleUploads } from "../domain/files/uploads.ts";

/** The cron handler: thin, it calls domain code. `now` is the controller's scheduled time. */
export async function runScheduled(deps: Deps) {
  const aborted = await sweepStaleUploads(deps);
  if (aborted > 0) console.log(`cron: aborted ${aborted} stale upload(s)`);
}
