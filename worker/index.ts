import { app } from "./app.ts";
import { depsFromEnv } from "./deps-from-env.ts";
import { consumeEmail, deadLetterEmail } from "./jobs/email-consumer.ts";
import type { QueueMessage } from "./jobs/messages.ts";
import { consumeImport } from "./jobs/queue.ts";
import { runScheduled } from "./jobs/scheduled.ts";

/** The Worker: HTTP (API, relay API, UI assets), the queue consumer and cron. */
export default {
  fetch: app.fetch,
  async queue(batch, env) {
    const deps = depsFromEnv(env);
    const deadLetters = batch.queue.endsWith("-dlq");
    for (const message of batch.messages) {
      const body = message.body;
      if (body.type === "email") {
        const m = message as Message<typeof body>;
        await (deadLetters ? deadLetterEmail(deps, m) : consumeEmail(deps, m));
      } else {
        await consumeImport(deps, message as Message<typeof body>, deadLetters);
      }
    }
  },
  async scheduled(controller, env) {
    await runScheduled(depsFromEnv(env, () => controller.scheduledTime));
  },
} satisfies ExportedHandler<Env, QueueMessage>;
