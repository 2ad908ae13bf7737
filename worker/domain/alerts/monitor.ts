import { and, eq, gt, isNotNull, isNull, lte, max, ne, or } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { schema } from "../../db/client.ts";
import type { Deps } from "../deps.ts";
import { enqueueByKeys, enqueueEmails, type NewEmail, outboxInsert, pendingEmails } from "../email/outbox.ts";
import { newId } from "../ids.ts";
import { deliveryOverdueEvent } from "../webhooks/cause-events.ts";
import { enqueueEvent, eventBatchItems, type PreparedEvent } from "../webhooks/events.ts";
import { type AlertContext, missedFileEmail, receivedAgainEmail, rejectedFileEmail } from "./alert-emails.ts";
import { type Frequency, nextWindowAfter, type Schedule, windowAt } from "./schedule.ts";

type DeliveryRow = typeof schema.deliveries.$inferSelect;

/** A cron run that was down for long catches up at most this many windows per delivery. */
const MAX_WINDOWS_PER_RUN = 48;
/** Pending emails older than this were never handed to the queue (a crash): hand them again. */
const REQUEUE_AFTER_MS = 60 * 1000;
/** Statuses that mean "received, but nothing could be imported". */
const REJECTED = new Set(["rejected", "failed"]);

const kindNames = { user_sync: "User Sync", project_sync: "Project Sync" } as const;

export function scheduleOf(
  d: Pick<DeliveryRow, "frequency" | "frequencyDay" | "expectedBy" | "graceMinutes">,
  timeZone: string,
): Schedule | null {
  if (d.frequency === "none") return null;
  return {
    frequency: d.frequency as Frequency,
    day: d.frequencyDay,
    expectedBy: d.expectedBy ?? "09:00",
    graceMinutes: d.graceMinutes,
    timeZone,
  };
}

/** Every active Admin of the account, plus the delivery's own notification address. Never anyone else's. */
export async function alertRecipients(deps: Pick<Deps, "db">, accountId: string, notificationEmail: string | null) {
  const admins = await deps.db
    .select({ email: schema.people.email })
    .from(schema.people)
    .where(
      and(eq(schema.people.accountId, accountId), eq(schema.people.role, "admin"), eq(schema.people.active, true)),
    );
  return [...new Set([...admins.map((a) => a.email), ...(notificationEmail ? [notificationEmail] : [])])].sort();
}

async function lastReceivedAt(deps: Pick<Deps, "db">, accountId: string, deliveryId: string) {
  const [row] = await deps.db
    .select({ at: max(schema.receivedFiles.receivedAt) })
    .from(schema.receivedFiles)
    .where(and(eq(schema.receivedFiles.accountId, accountId), eq(schema.receivedFiles.deliveryId, deliveryId)));
  return row?.at ?? null;
}

function emailsFor(
  recipients: string[],
  base: Omit<NewEmail, "to" | "idempotencyKey" | "subject" | "text" | "html">,
  key: string,
  content: { subject: string; text: string; html: string },
): NewEmail[] {
  return recipients.map((to) => ({ ...base, ...content, to, idempotencyKey: `${key}:${to}` }));
}

/**
 * Evaluates every window of one delivery whose deadline has passed. A missed
 * window (or one whose only files were rejected) gets one alert: the alert row
 * and its emails are written in one atomic batch, each with a unique key, so a
 * repeated or concurrent run adds nothing. The delivery then points at its next
 * deadline.
 */
async function checkDelivery(deps: Deps, d: DeliveryRow, timeZone: string) {
  const schedule = scheduleOf(d, timeZone);
  if (!schedule || d.nextDeadlineAt === null) return;
  const now = deps.now();
  const statements: BatchItem<"sqlite">[] = [];
  const keys: string[] = [];
  const events: PreparedEvent[] = [];
  let deadline = d.nextDeadlineAt;
  let overdueSince = d.overdueSince;
  let recipients: string[] | null = null;
  for (let i = 0; i < MAX_WINDOWS_PER_RUN && deadline <= now; i++) {
    const w = windowAt(schedule, deadline);
    if (!w) break;
    const files = await deps.db
      .select({ status: schema.receivedFiles.status })
      .from(schema.receivedFiles)
      .where(
        and(
          eq(schema.receivedFiles.accountId, d.accountId),
          eq(schema.receivedFiles.deliveryId, d.id),
          gt(schema.receivedFiles.receivedAt, w.start),
          lte(schema.receivedFiles.receivedAt, w.deadline),
        ),
      );
    const kind =
      files.length === 0 ? "missed" : files.every((f) => REJECTED.has(f.status)) ? "received_rejected" : null;
    if (kind) {
      if (kind === "missed") overdueSince ??= w.deadline;
      recipients ??= await alertRecipients(deps, d.accountId, d.notificationEmail);
      const ctx: AlertContext = {
        deliveryName: d.name,
        kindName: kindNames[d.kind],
        timeZone,
        windowStart: w.start,
        deadline: w.deadline,
        lastReceivedAt: await lastReceivedAt(deps, d.accountId, d.id),
        link: `${deps.config.PUBLIC_URL.replace(/\/+$/, "")}/admin/integration/file-delivery/${d.id}/files`,
      };
      const content = kind === "missed" ? missedFileEmail(ctx) : rejectedFileEmail(ctx);
      const key = `${kind}:${d.id}:${w.deadline}`;
      statements.push(
        deps.db
          .insert(schema.deliveryAlerts)
          .values({
            id: newId("aud"),
            accountId: d.accountId,
            deliveryId: d.id,
            kind,
            windowStart: w.start,
            windowDeadline: w.deadline,
            createdAt: now,
          })
          .onConflictDoNothing(),
      );
      if (kind === "missed") {
        const overdue = await deliveryOverdueEvent(deps, {
          accountId: d.accountId,
          deliveryId: d.id,
          name: d.name,
          windowStart: w.start,
          deadline: w.deadline,
          lastReceivedAt: ctx.lastReceivedAt,
        });
        statements.push(...eventBatchItems(overdue));
        events.push(overdue);
      }
      for (const email of emailsFor(recipients, { accountId: d.accountId, kind: `delivery_${kind}` }, key, content)) {
        statements.push(outboxInsert(deps, email));
        keys.push(email.idempotencyKey);
      }
    }
    const next = nextWindowAfter(schedule, w.deadline);
    if (!next) break;
    deadline = next.deadline;
  }
  statements.push(
    deps.db
      .update(schema.deliveries)
      .set({ nextDeadlineAt: deadline, overdueSince })
      .where(and(eq(schema.deliveries.id, d.id), eq(schema.deliveries.nextDeadlineAt, d.nextDeadlineAt))),
  );
  await deps.db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  await enqueueByKeys(deps, d.accountId, keys);
  for (const event of events) await enqueueEvent(deps, event);
}

/** Up to this many due deliveries the cron checks itself; more are fanned out to the queue, one message each. */
const INLINE_CHECKS = 50;
/** Ids only, so one page (one query) covers ten thousand due deliveries. */
const PAGE = 10_000;
const MAX_PAGES = 10;

/**
 * The cron's frequency check: an indexed query (paged by deadline and id) for
 * deliveries whose next deadline has passed. A few are checked right here;
 * when there are more, all go to the queue as one `check-delivery` message each, so ten
 * thousand due deliveries never make one invocation run into the Worker's
 * query or time limits. `deps.now()` is the cron's scheduled time, carried in
 * each message, so a run can be replayed for any instant.
 */
export async function checkDueDeliveries(deps: Deps) {
  const now = deps.now();
  let inline = 0;
  let queued = 0;
  let after: { at: number; id: string } | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const due: { id: string; accountId: string; nextDeadlineAt: number | null }[] = await deps.db
      .select({
        id: schema.deliveries.id,
        accountId: schema.deliveries.accountId,
        nextDeadlineAt: schema.deliveries.nextDeadlineAt,
      })
      .from(schema.deliveries)
      .where(
        and(
          isNotNull(schema.deliveries.nextDeadlineAt),
          lte(schema.deliveries.nextDeadlineAt, now),
          isNull(schema.deliveries.deletedAt),
          eq(schema.deliveries.status, "enabled"),
          ne(schema.deliveries.frequency, "none"),
          after
            ? or(
                gt(schema.deliveries.nextDeadlineAt, after.at),
                and(eq(schema.deliveries.nextDeadlineAt, after.at), gt(schema.deliveries.id, after.id)),
              )
            : undefined,
        ),
      )
      .orderBy(schema.deliveries.nextDeadlineAt, schema.deliveries.id)
      .limit(PAGE);
    // A handful are checked right here (no queue round trip); a crowd all goes to the queue.
    const here = page === 0 && due.length <= INLINE_CHECKS ? due : [];
    for (const d of here) {
      await checkDeliveryById(deps, d.accountId, d.id);
      inline++;
    }
    const rest = due.slice(here.length);
    for (let i = 0; i < rest.length; i += 100) {
      await deps.queue.sendBatch(
        rest.slice(i, i + 100).map((d) => ({
          body: { type: "check-delivery" as const, accountId: d.accountId, deliveryId: d.id, asOf: now },
        })),
      );
    }
    queued += rest.length;
    const last = due.at(-1);
    if (due.length < PAGE || !last || last.nextDeadlineAt === null) break;
    after = { at: last.nextDeadlineAt, id: last.id };
  }
  await enqueueEmails(deps, await pendingEmails(deps, REQUEUE_AFTER_MS));
  return { inline, queued };
}

/** Checks one delivery (from the cron, or from its `check-delivery` message). Idempotent. */
export async function checkDeliveryById(deps: Deps, accountId: string, deliveryId: string) {
  const [row] = await deps.db
    .select({ delivery: schema.deliveries, timeZone: schema.accounts.timeZone })
    .from(schema.deliveries)
    .innerJoin(schema.accounts, eq(schema.accounts.id, schema.deliveries.accountId))
    .where(
      and(
        eq(schema.deliveries.id, deliveryId),
        eq(schema.deliveries.accountId, accountId),
        isNull(schema.deliveries.deletedAt),
        eq(schema.deliveries.status, "enabled"),
      ),
    );
  if (!row) return;
  try {
    await checkDelivery(deps, row.delivery, row.timeZone);
  } catch (err) {
    // One broken delivery must not stop the others; the next run tries it again.
    console.error(`frequency check of delivery ${deliveryId} failed`, err);
  }
}

/**
 * A file arrived: an overdue delivery is overdue no more, and its admins hear
 * that files are arriving again (once per overdue spell).
 */
export async function noteFileReceived(deps: Deps, accountId: string, deliveryId: string, receivedAt: number) {
  const [cleared] = await deps.db
    .update(schema.deliveries)
    .set({ overdueSince: null })
    .where(
      and(
        eq(schema.deliveries.id, deliveryId),
        eq(schema.deliveries.accountId, accountId),
        isNotNull(schema.deliveries.overdueSince),
      ),
    )
    .returning();
  if (!cleared) return;
  const [account] = await deps.db.select().from(schema.accounts).where(eq(schema.accounts.id, accountId));
  const timeZone = account?.timeZone ?? "UTC";
  const recipients = await alertRecipients(deps, accountId, cleared.notificationEmail);
  const content = receivedAgainEmail({
    deliveryName: cleared.name,
    kindName: kindNames[cleared.kind],
    timeZone,
    windowStart: receivedAt,
    deadline: receivedAt,
    lastReceivedAt: receivedAt,
    link: `${deps.config.PUBLIC_URL.replace(/\/+$/, "")}/admin/integration/file-delivery/${deliveryId}/files`,
  });
  const key = `received_again:${deliveryId}:${receivedAt}`;
  const emails = emailsFor(recipients, { accountId, kind: "delivery_received_again" }, key, content);
  if (emails.length === 0) return;
  const [first, ...rest] = emails.map((e) => outboxInsert(deps, e));
  if (first) await deps.db.batch([first, ...rest]);
  await enqueueByKeys(
    deps,
    accountId,
    emails.map((e) => e.idempotencyKey),
  );
}
