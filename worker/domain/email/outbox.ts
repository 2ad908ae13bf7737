import { and, desc, eq, inArray, lt, or, sql } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import type { Deps } from "../deps.ts";
import { newId } from "../ids.ts";
import { EmailSendError } from "./sender.ts";

/** Tries per email before it is marked failed (each retry goes back through the queue with a delay). */
export const MAX_EMAIL_ATTEMPTS = 6;
/** A claim older than this belongs to a consumer that died: the email may be claimed again. */
const CLAIM_TIMEOUT_MS = 5 * 60 * 1000;

export interface NewEmail {
  accountId: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  kind: string;
  /** Same key → same email: repeated cron runs and redelivered messages add nothing. */
  idempotencyKey: string;
}

/** The insert for one email, to be batched atomically with whatever caused it. */
export function outboxInsert(deps: Pick<Deps, "db" | "now">, email: NewEmail) {
  return deps.db
    .insert(schema.emailOutbox)
    .values({
      id: newId("eml"),
      accountId: email.accountId,
      idempotencyKey: email.idempotencyKey,
      to: email.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
      kind: email.kind,
      status: "pending",
      attempts: 0,
      createdAt: deps.now(),
    })
    .onConflictDoNothing();
}

/** Pending emails not yet handed to the queue (or whose message was lost), oldest first. */
export async function pendingEmails(deps: Pick<Deps, "db" | "now">, olderThanMs: number, limit = 200) {
  return deps.db
    .select({ id: schema.emailOutbox.id, accountId: schema.emailOutbox.accountId })
    .from(schema.emailOutbox)
    .where(
      or(
        and(eq(schema.emailOutbox.status, "pending"), lt(schema.emailOutbox.createdAt, deps.now() - olderThanMs)),
        and(eq(schema.emailOutbox.status, "sending"), lt(schema.emailOutbox.claimedAt, deps.now() - CLAIM_TIMEOUT_MS)),
      ),
    )
    .orderBy(schema.emailOutbox.createdAt)
    .limit(limit);
}

export async function enqueueEmails(deps: Pick<Deps, "queue">, emails: { id: string; accountId: string }[]) {
  if (emails.length === 0) return;
  await deps.queue.sendBatch(
    emails.map((e) => ({ body: { type: "email" as const, accountId: e.accountId, outboxId: e.id } })),
  );
}

/** Hands the still-pending emails with these idempotency keys to the queue. */
export async function enqueueByKeys(deps: Pick<Deps, "db" | "queue">, accountId: string, keys: string[]) {
  for (let i = 0; i < keys.length; i += 50) {
    const rows = await deps.db
      .select({ id: schema.emailOutbox.id, accountId: schema.emailOutbox.accountId })
      .from(schema.emailOutbox)
      .where(
        and(
          eq(schema.emailOutbox.accountId, accountId),
          eq(schema.emailOutbox.status, "pending"),
          inArray(schema.emailOutbox.idempotencyKey, keys.slice(i, i + 50)),
        ),
      );
    await enqueueEmails(deps, rows);
  }
}

export type DeliveryOutcome = "sent" | "already-done" | "retry" | "failed";

/**
 * Sends one outbox email through the configured transport. A consumer first
 * claims the row, so two deliveries of the same message never both send;
 * a transient failure releases it for a retry, the last one marks it failed.
 */
export async function deliverEmail(deps: Deps, accountId: string, outboxId: string): Promise<DeliveryOutcome> {
  const now = deps.now();
  const [claimed] = await deps.db
    .update(schema.emailOutbox)
    .set({ status: "sending", claimedAt: now, attempts: sql`${schema.emailOutbox.attempts} + 1` })
    .where(
      and(
        eq(schema.emailOutbox.id, outboxId),
        eq(schema.emailOutbox.accountId, accountId),
        or(
          eq(schema.emailOutbox.status, "pending"),
          and(eq(schema.emailOutbox.status, "sending"), lt(schema.emailOutbox.claimedAt, now - CLAIM_TIMEOUT_MS)),
        ),
      ),
    )
    .returning();
  if (!claimed) return "already-done";
  try {
    await deps.email.send({
      from: deps.config.EMAIL_FROM,
      to: claimed.to,
      subject: claimed.subject,
      text: claimed.text,
      html: claimed.html,
    });
  } catch (err) {
    const retryable = err instanceof EmailSendError ? err.retryable : true;
    const last = !retryable || claimed.attempts >= MAX_EMAIL_ATTEMPTS;
    await deps.db
      .update(schema.emailOutbox)
      .set({
        status: last ? "failed" : "pending",
        claimedAt: null,
        error: String((err as Error).message).slice(0, 500),
      })
      .where(eq(schema.emailOutbox.id, outboxId));
    return last ? "failed" : "retry";
  }
  await deps.db
    .update(schema.emailOutbox)
    .set({ status: "sent", sentAt: deps.now(), claimedAt: null, error: null })
    .where(eq(schema.emailOutbox.id, outboxId));
  return "sent";
}

/** The account's emails, newest first: the local sender's mailbox and every transport's record. */
export async function listOutbox(
  deps: Pick<Deps, "db">,
  accountId: string,
  opts: { limit: number; before?: number | undefined },
) {
  const rows = await deps.db
    .select()
    .from(schema.emailOutbox)
    .where(
      and(
        eq(schema.emailOutbox.accountId, accountId),
        opts.before !== undefined ? lt(schema.emailOutbox.createdAt, opts.before) : undefined,
      ),
    )
    .orderBy(desc(schema.emailOutbox.createdAt))
    .limit(opts.limit);
  return rows.map((r) => ({
    id: r.id,
    to: r.to,
    subject: r.subject,
    text: r.text,
    html: r.html,
    kind: r.kind,
    status: r.status,
    attempts: r.attempts,
    error: r.error,
    createdAt: r.createdAt,
    sentAt: r.sentAt,
  }));
}
