import { and, eq, ne } from "drizzle-orm";
import { schema } from "../db/client.ts";
import type { Deps } from "../domain/deps.ts";
import { deliverEmail } from "../domain/email/outbox.ts";
import type { QueueMessage } from "./messages.ts";

type EmailMessage = Extract<QueueMessage, { type: "email" }>;

/** 30 s, 1 min, 2 min … capped at an hour: a slow provider is retried, never hammered. */
export function emailRetryDelaySeconds(attempts: number) {
  return Math.min(30 * 2 ** Math.max(0, attempts - 1), 3600);
}

/** One email per message; the outbox row's claim makes a redelivered message send nothing twice. */
export async function consumeEmail(deps: Deps, message: Message<EmailMessage>) {
  const outcome = await deliverEmail(deps, message.body.accountId, message.body.outboxId);
  if (outcome === "retry") message.retry({ delaySeconds: emailRetryDelaySeconds(message.attempts) });
  else message.ack();
}

/** The queue gave up on this email (dead-letter queue): record it as failed so nothing re-sends it. */
export async function deadLetterEmail(deps: Deps, message: Message<EmailMessage>) {
  await deps.db
    .update(schema.emailOutbox)
    .set({ status: "failed", claimedAt: null, error: "gave up after the queue's last retry" })
    .where(
      and(
        eq(schema.emailOutbox.id, message.body.outboxId),
        eq(schema.emailOutbox.accountId, message.body.accountId),
        ne(schema.emailOutbox.status, "sent"),
      ),
    );
  message.ack();
}
