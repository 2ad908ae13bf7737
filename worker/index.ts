import { app } from "./app.ts";
import { depsFromEnv } from "./deps-from-env.ts";
import type { QueueMessage } from "./jobs/messages.ts";
import { runScheduled } from "./jobs/scheduled.ts";

/** The Worker: HTTP (API, relay API, UI assets), import queue consumer and cron. */
export default {
  fetch: app.fetch,
  async queue(batch) {
    // The import engine consumes these; until it runs, files stay "queued" in D1 and R2.
    for (const message of batch.messages) message.ack();
  },
  async scheduled(controller, env) {
    await runScheduled(depsFromEnv(env, () => controller.scheduledTime));
  },
} satisfies ExportedHandler<Env, QueueMessage>;
