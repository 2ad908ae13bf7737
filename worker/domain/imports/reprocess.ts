import { and, eq } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import { AppError } from "../../errors.ts";
import { auditInsert } from "../audit.ts";
import type { Deps, Principal } from "../deps.ts";
import type { StepOutcome } from "./phase-parse.ts";
import { findFileRun } from "./reports.ts";
import { type Checkpoint, commitStep, emptyCounts, FINISHED, initialCheckpoint, type RunContext } from "./run-state.ts";

/** Staged rows deleted per statement (a bounded amount of work per step, whatever the file's size). */
export const DELETE_ROWS = 20_000;

/** Finished runs whose staging one purge round clears (DELETE_ROWS each), and rounds per cron tick. */
const PURGE_RUNS = 5;
const PURGE_ROUNDS = 10;

const deleteStaged = (d1: D1Database, runId: string, rows: number) =>
  d1
    .prepare(
      `DELETE FROM import_rows WHERE run_id = ?1 AND row_number IN
         (SELECT row_number FROM import_rows WHERE run_id = ?1 ORDER BY row_number LIMIT ?2)`,
    )
    .bind(runId, rows);

/**
 * Clears what an earlier attempt left (staged rows, row errors), DELETE_ROWS
 * rows per step, then reads the file from the start.
 */
export async function resetPhase(deps: Deps, ctx: RunContext): Promise<StepOutcome> {
  const d1 = deps.db.$client;
  const left = await d1
    .prepare("SELECT count(*) AS n FROM (SELECT 1 FROM import_rows WHERE run_id = ? LIMIT ?)")
    .bind(ctx.run.id, DELETE_ROWS + 1)
    .first<{ n: number }>();
  const done = (left?.n ?? 0) <= DELETE_ROWS;
  const checkpoint: Checkpoint = { ...ctx.checkpoint, seq: ctx.checkpoint.seq + 1, phase: done ? "parse" : "reset" };
  const writes = [
    deleteStaged(d1, ctx.run.id, DELETE_ROWS),
    d1.prepare("DELETE FROM row_errors WHERE run_id = ? AND account_id = ?").bind(ctx.run.id, ctx.run.accountId),
  ];
  const ok = await commitStep(deps, ctx, writes, { checkpoint, counts: ctx.counts });
  return { rows: 0, stopped: !ok };
}

const cannot = (why: string) => new AppError("conflict", why);

/**
 * Imports a file again from its stored bytes, as the next attempt of its run:
 * the report starts over, and the outcome is announced (webhook, summary email)
 * again. Only a run that has ended (applied, tested, rejected, failed) can be
 * reprocessed; a held file is approved or rejected instead. Audited.
 */
export async function reprocessFile(deps: Deps, actor: Principal, fileId: string) {
  const { file, run } = await findFileRun(deps, actor, fileId);
  if (!run) throw cannot("The file has not been imported yet");
  if (run.status === "held") throw cannot("The file is held for approval: approve or reject it instead");
  if (!FINISHED.has(run.status)) throw cannot("The file is being imported");
  if (!(await deps.bucket.head(file.r2Key))) throw cannot("The file's content is no longer stored");
  const saved = run.checkpoint as unknown as Checkpoint | null;
  // Step numbers keep rising, so a late step of the earlier attempt can never commit into this one.
  const checkpoint: Checkpoint = { ...initialCheckpoint(), seq: (saved?.seq ?? 0) + 1, phase: "reset" };
  const now = deps.now();
  const d1 = deps.db.$client;
  const [claimed] = await d1.batch([
    d1
      .prepare(
        `UPDATE import_runs SET attempt = attempt + 1, status = 'queued', checkpoint = ?, counts = ?, dialect = NULL,
           message = NULL, started_at = NULL, finished_at = NULL, updated_at = ?
         WHERE id = ? AND account_id = ? AND attempt = ? AND status = ?`,
      )
      .bind(
        JSON.stringify(checkpoint),
        JSON.stringify(emptyCounts()),
        now,
        run.id,
        actor.accountId,
        run.attempt,
        run.status,
      ),
  ]);
  if (!claimed?.meta.changes) throw cannot("The file is being imported");
  await deps.db.batch([
    deps.db
      .update(schema.receivedFiles)
      .set({ status: "queued" })
      .where(and(eq(schema.receivedFiles.id, file.id), eq(schema.receivedFiles.accountId, actor.accountId))),
    auditInsert(
      deps,
      actor,
      "import.reprocessed",
      { type: "file", id: file.id },
      {
        deliveryId: file.deliveryId,
        attempt: run.attempt + 1,
        previousStatus: run.status,
      },
    ),
  ]);
  await deps.queue.send({ type: "import", accountId: actor.accountId, fileId: file.id });
  return { status: "queued" as const, attempt: run.attempt + 1 };
}

/**
 * Retention of staging: rows staged by runs that have ended are only needed
 * while the run can still change, so the cron clears them, a bounded amount
 * per tick (held runs keep theirs until approved or rejected). Returns the
 * number of rows deleted.
 */
export async function purgeStaging(deps: Deps): Promise<number> {
  const d1 = deps.db.$client;
  let deleted = 0;
  for (let round = 0; round < PURGE_ROUNDS; round++) {
    const { results } = await d1
      .prepare(
        `SELECT ir.id FROM import_runs ir
         WHERE ir.status IN ('applied', 'tested', 'rejected', 'failed')
           AND EXISTS (SELECT 1 FROM import_rows r WHERE r.run_id = ir.id)
         LIMIT ?`,
      )
      .bind(PURGE_RUNS)
      .all<{ id: string }>();
    if (results.length === 0) break;
    const done = await d1.batch(results.map((r) => deleteStaged(d1, r.id, DELETE_ROWS)));
    deleted += done.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
  }
  return deleted;
}
