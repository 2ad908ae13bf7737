import { app } from "./app.ts";
import { depsFromEnv } from "./deps-from-env.ts";
import { checkDeliveryById } from "./domain/alerts/monitor.ts";
import { consumeEmail, deadLetterEmail } from "./jobs/email-consumer.ts";
import type { QueueMessage } from "./jobs/messages.ts";
import { consumeImport } from "./jobs/queue.ts";
import { runScheduled } from "./jobs/scheduled.ts";
import { consumeWebhook, deadLetterWebhook } from "./jobs/webhook-consumer.ts";

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
      } else if (body.type === "check-delivery") {
        // A dead-lettered check is simply dropped: the next cron run finds the delivery due again.
        if (!deadLetters) await checkDeliveryById({ ...deps, now: () => body.asOf }, body.accountId, body.deliveryId);
        message.ack();
      } else if (body.type === "webhook") {
        const m = message as Message<typeof body>;
        await (deadLetters ? deadLetterWebhook(deps, m) : consumeWebhook(deps, m));
      } else {
        await consumeImport(deps, message as Message<typeof body>, deadLetters);
      }
    }
  },
  async scheduled(controller, env) {
    await runScheduled(depsFromEnv(env, () => controller.scheduledTime));
  },
} satisfies ExportedHandler<Env, QueueMessage>;
