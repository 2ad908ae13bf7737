import type { Deps } from "../domain/deps.ts";
import {
  deliverWebhook,
  type Fetcher,
  markWebhookFailed,
  webhookRetryDelaySeconds,
} from "../domain/webhooks/deliver.ts";
import type { QueueMessage } from "./messages.ts";

export type WebhookMessage = Extract<QueueMessage, { type: "webhook" }>;

/**
 * One webhook delivery per message; the row's claim makes a redelivered
 * message send nothing twice. A failed attempt is retried as a fresh delayed
 * message, so the backoff (counted on the row) can outlast the queue's own
 * `max_retries`, which the import queue sets for imports; if that send fails,
 * the queue's retry of this message takes over.
 */
export async function consumeWebhook(deps: Deps, message: Message<WebhookMessage>, send?: Fetcher) {
  const { outcome, attempts } = await deliverWebhook(deps, message.body.accountId, message.body.deliveryId, send);
  if (outcome !== "retry") {
    message.ack();
    return;
  }
  const delaySeconds = webhookRetryDelaySeconds(attempts);
  try {
    await deps.queue.send(message.body, { delaySeconds });
    message.ack();
  } catch (err) {
    console.error(`re-enqueueing webhook delivery ${message.body.deliveryId} failed; retrying the message`, err);
    message.retry({ delaySeconds });
  }
}

/** The queue gave up on this delivery (dead-letter queue): record it as failed so nothing re-sends it. */
export async function deadLetterWebhook(deps: Deps, message: Message<WebhookMessage>) {
  await markWebhookFailed(
    deps,
    message.body.accountId,
    message.body.deliveryId,
    "gave up after the queue's last retry",
  );
  message.ack();
}
