import { and, eq } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import type { Deps } from "../deps.ts";
import { enqueueByKeys } from "../email/outbox.ts";
import { newId } from "../ids.ts";
import { type ImportOutcome, importOutcomeEvent } from "../webhooks/cause-events.ts";
import { enqueueEvent, eventStatements } from "../webhooks/events.ts";
import type { Dialect } from "./csv-dialect.ts";
import type { ReadPosition } from "./csv-reader.ts";
import { importSummary, summaryInsert } from "./summary-email.ts";
import type { Encoding } from "./text-decoding.ts";

/**
 * The phases of a run. Nothing is written outside staging before `apply`, so
 * every whole-file reject happens while nothing has been applied yet. `reset`
 * clears what an earlier attempt staged (reprocess, or re-reading as 1252).
 */
export type Phase = "reset" | "parse" | "check" | "decide" | "apply" | "approvers" | "deactivate" | "finish";

/** Saved on the run after every committed step; a redelivered message resumes from it. */
export interface Checkpoint {
  seq: number;
  phase: Phase;
  /** Set after UTF-8 failed: the file is read again as this. */
  forcedEncoding?: Encoding;
  dialect?: Dialect;
  /** Column id per field of the file (null: an unnamed column, ignored). */
  columns?: (string | null)[];
  read: ReadPosition;
  /** Whether committed text had non-ASCII characters (an invalid UTF-8 byte later means re-reading from the start). */
  nonAscii: boolean;
  /** Last staged row number handled by the check/apply phases. */
  cursor: number;
  ragged: number;
  /** The day (UTC) the plan was made (first batch); the apply phase uses the same one for Leave Dates. */
  today?: string;
  approvedBy?: string;
}

export interface Counts {
  /** Data rows read (blank lines not counted). */
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  deactivated: number;
  /** Rows skipped because of errors. */
  skipped: number;
  /** Row errors found (stored + dropped). */
  errors: number;
  errorsDropped: number;
}

export const emptyCounts = (): Counts => ({
  rows: 0,
  created: 0,
  updated: 0,
  unchanged: 0,
  deactivated: 0,
  skipped: 0,
  errors: 0,
  errorsDropped: 0,
});

export const initialCheckpoint = (forcedEncoding?: Encoding): Checkpoint => ({
  seq: 0,
  phase: "parse",
  ...(forcedEncoding ? { forcedEncoding } : {}),
  read: { byteOffset: 0, recordsRead: 0 },
  nonAscii: false,
  cursor: 0,
  ragged: 0,
});

export type RunRow = typeof schema.importRuns.$inferSelect;
export type FileRow = typeof schema.receivedFiles.$inferSelect;
export type DeliveryRow = typeof schema.deliveries.$inferSelect;

/** Everything a step needs about its run, loaded once per invocation. */
export interface RunContext {
  run: RunRow;
  file: FileRow;
  delivery: DeliveryRow;
  checkpoint: Checkpoint;
  counts: Counts;
  /** Steps committed by this invocation. */
  commits: number;
  /** Test hook: runs after each committed step (a throw here simulates a crash between steps). */
  afterCommit?: (seq: number) => void | Promise<void>;
}

/** The run of a file, created on first sight (one run per file: the unique index makes this race-safe). */
export async function loadOrCreateRun(deps: Deps, accountId: string, fileId: string): Promise<RunContext | null> {
  const { receivedFiles, deliveries, importRuns } = schema;
  const [found] = await deps.db
    .select({ file: receivedFiles, delivery: deliveries })
    .from(receivedFiles)
    .innerJoin(
      deliveries,
      and(eq(deliveries.id, receivedFiles.deliveryId), eq(deliveries.accountId, receivedFiles.accountId)),
    )
    .where(and(eq(receivedFiles.id, fileId), eq(receivedFiles.accountId, accountId)))
    .limit(1);
  if (!found) return null;
  const { file, delivery } = found;
  const now = deps.now();
  // Made when the consumer first takes the file's message, which is when the import starts.
  const [, [run]] = await deps.db.batch([
    deps.db
      .insert(importRuns)
      .values({
        id: newId("run"),
        accountId,
        fileId,
        deliveryId: file.deliveryId,
        status: "queued",
        isTest: file.isTest,
        checkpoint: initialCheckpoint() as unknown as Record<string, unknown>,
        counts: emptyCounts() as unknown as Record<string, number>,
        startedAt: now,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing(),
    deps.db
      .select()
      .from(importRuns)
      .where(and(eq(importRuns.fileId, fileId), eq(importRuns.accountId, accountId)))
      .limit(1),
  ]);
  if (!run) return null;
  return {
    run,
    file,
    delivery,
    checkpoint: (run.checkpoint ?? initialCheckpoint()) as unknown as Checkpoint,
    counts: { ...emptyCounts(), ...(run.counts as Partial<Counts> | null) },
    commits: 0,
  };
}

/** Terminal run statuses: a message for such a run is acknowledged and does nothing. */
export const FINISHED = new Set<RunRow["status"]>(["applied", "tested", "rejected", "held", "failed"]);

export interface StepResult {
  checkpoint: Checkpoint;
  counts: Counts;
  status?: RunRow["status"];
  message?: string | null;
  dialect?: Record<string, unknown>;
}

const fileStatus = (s: RunRow["status"]): FileRow["status"] => (s === "running" || s === "queued" ? "importing" : s);

/**
 * Commits one step: its writes, its claim (`import_steps`) and the run's new
 * checkpoint, counts and status, in one atomic `batch()`. Returns false when
 * another delivery of the message already committed this step (the caller stops).
 */
export async function commitStep(
  deps: Deps,
  ctx: RunContext,
  writes: D1PreparedStatement[],
  next: StepResult,
): Promise<boolean> {
  const d1 = deps.db.$client;
  const now = deps.now();
  const run = ctx.run;
  const status = next.status ?? "running";
  const message = next.message === undefined ? run.message : next.message;
  const dialect = next.dialect ?? run.dialect;
  const finishedAt = FINISHED.has(status) ? now : null;
  // A run reaching its final status announces it in the same batch (the step's claim keeps it once).
  const outcome =
    finishedAt !== null && status !== run.status
      ? await importOutcomeEvent(deps, outcomeRun(ctx), status as ImportOutcome, next.counts)
      : null;
  // …and emails its summary to the delivery's notification address, in the same batch.
  const summary =
    outcome && ctx.delivery.notificationEmail
      ? summaryInsert(d1, {
          accountId: run.accountId,
          runId: run.attempt > 1 ? `${run.id}:${run.attempt}` : run.id,
          status,
          to: ctx.delivery.notificationEmail,
          now,
          ...importSummary({
            fileName: ctx.file.name,
            deliveryName: ctx.delivery.name,
            status,
            counts: next.counts,
            message,
            link: `${deps.config.PUBLIC_URL.replace(/\/+$/, "")}/admin/integration/file-delivery/${run.deliveryId}/files`,
          }),
        })
      : null;
  try {
    await d1.batch([
      d1
        .prepare("INSERT INTO import_steps (run_id, seq, account_id, created_at) VALUES (?, ?, ?, ?)")
        .bind(run.id, next.checkpoint.seq, run.accountId, now),
      ...writes,
      d1
        .prepare(
          `UPDATE import_runs SET checkpoint = ?, counts = ?, dialect = ?, status = ?, message = ?,
             started_at = coalesce(started_at, ?), finished_at = ?, updated_at = ? WHERE id = ? AND account_id = ?`,
        )
        .bind(
          JSON.stringify(next.checkpoint),
          JSON.stringify(next.counts),
          dialect ? JSON.stringify(dialect) : null,
          status,
          message,
          now,
          finishedAt,
          now,
          run.id,
          run.accountId,
        ),
      d1
        .prepare("UPDATE received_files SET status = ? WHERE id = ? AND account_id = ?")
        .bind(fileStatus(status), run.fileId, run.accountId),
      ...(outcome ? eventStatements(deps, outcome) : []),
      ...(summary ? [summary.statement] : []),
    ]);
  } catch (err) {
    if (isStepConflict(err)) return false;
    throw err;
  }
  if (outcome) await enqueueEvent(deps, outcome);
  if (summary) await enqueueByKeys(deps, run.accountId, [summary.key]);
  ctx.checkpoint = next.checkpoint;
  ctx.counts = next.counts;
  ctx.commits++;
  ctx.run = { ...run, status, message, dialect: dialect ?? null, finishedAt, updatedAt: now };
  await ctx.afterCommit?.(next.checkpoint.seq);
  return true;
}

/**
 * A phase with nothing to write moves on without a step of its own: the next step commits the
 * new phase along with its own writes, and a replay after a crash in between decides the same.
 */
export function moveOn(ctx: RunContext, phase: Phase, cursor = ctx.checkpoint.cursor) {
  ctx.checkpoint = { ...ctx.checkpoint, phase, cursor };
  return { rows: 0, stopped: false };
}

/** The ids a run's webhook events carry. */
export function outcomeRun(ctx: Pick<RunContext, "run">) {
  return {
    accountId: ctx.run.accountId,
    runId: ctx.run.id,
    fileId: ctx.run.fileId,
    deliveryId: ctx.run.deliveryId,
    test: ctx.run.isTest,
    attempt: ctx.run.attempt,
  };
}

/** True when a batch failed because another delivery already committed this step. */
export function isStepConflict(err: unknown) {
  const text = String((err as Error)?.message ?? err);
  return /UNIQUE constraint failed: import_steps/i.test(text);
}
