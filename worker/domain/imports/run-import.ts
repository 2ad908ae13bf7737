import { AppError } from "../../errors.ts";
import type { Deps } from "../deps.ts";
import { importOutcomeEvent } from "../webhooks/cause-events.ts";
import { enqueueEvent, eventStatements } from "../webhooks/events.ts";
import { rejectFile } from "./header.ts";
import type { ImportKind } from "./kinds.ts";
import { applyPhase, approversPhase, deactivatePhase, finishPhase } from "./phase-apply.ts";
import { parsePhase, type SliceOptions, type StepOutcome } from "./phase-parse.ts";
import { checkPhase, decidePhase } from "./phase-plan.ts";
import { kindFor } from "./registry.ts";
import { resetPhase } from "./reprocess.ts";
import { commitStep, FINISHED, loadOrCreateRun, outcomeRun, type Phase, type RunContext } from "./run-state.ts";

/** Files larger than this are rejected before a byte is read. */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;

/**
 * Rows per atomic step and per invocation. A step of 5,000 rows stays well
 * under D1's statement and batch limits; 50,000 rows read per invocation keeps
 * each queue delivery far from the CPU-time and memory limits. The other phases
 * cost the Worker next to nothing (their work is SQL over staging), so only
 * their queries bound them: 80 steps of at most ~10 statements each stay under
 * the 1,000 queries an invocation may make.
 */
export const DEFAULT_SLICES: SliceOptions = { batchRows: 5000, sliceRows: 50_000, maxSteps: 80 };

export interface RunOptions extends SliceOptions {
  /** Test hook: called after every committed step; throwing simulates a crash. */
  afterCommit?: (seq: number) => void | Promise<void>;
}

export type RunOutcome = "finished" | "continue" | "stopped" | "missing";

type PhaseFn = (deps: Deps, ctx: RunContext, kind: ImportKind, opts: SliceOptions) => Promise<StepOutcome>;

const phases: Record<Phase, PhaseFn> = {
  reset: (deps, ctx) => resetPhase(deps, ctx),
  parse: parsePhase,
  check: (deps, ctx, kind) => checkPhase(deps, ctx, kind),
  decide: (deps, ctx, kind) => decidePhase(deps, ctx, kind),
  apply: applyPhase,
  approvers: approversPhase,
  deactivate: deactivatePhase,
  finish: (deps, ctx) => finishPhase(deps, ctx),
};

/**
 * Advances the import of one file by at most `sliceRows` rows, from its saved
 * checkpoint. Idempotent: a finished run is left alone; a run another delivery
 * is advancing makes this one stop at its first conflicting step.
 * Returns "continue" when the caller must enqueue a continuation message.
 */
export async function advanceImport(
  deps: Deps,
  target: { accountId: string; fileId: string },
  opts: RunOptions = DEFAULT_SLICES,
): Promise<RunOutcome> {
  const ctx = await loadOrCreateRun(deps, target.accountId, target.fileId);
  if (!ctx) return "missing";
  if (opts.afterCommit) ctx.afterCommit = opts.afterCommit;
  const kind = kindFor(ctx.delivery.kind);
  const maxSteps = opts.maxSteps ?? Math.max(1, Math.ceil(opts.sliceRows / opts.batchRows));
  let rowsRead = 0;
  let steps = 0;
  try {
    if (ctx.file.size > MAX_FILE_BYTES) {
      throw rejectFile(`The file is larger than the ${MAX_FILE_BYTES / 1024 / 1024} MiB limit`);
    }
    for (;;) {
      if (FINISHED.has(ctx.run.status)) return "finished";
      if (rowsRead >= opts.sliceRows || steps >= maxSteps) return "continue";
      const before = ctx.commits;
      const out = await phases[ctx.checkpoint.phase](deps, ctx, kind, opts);
      if (out.stopped) return "stopped";
      rowsRead += out.rows;
      // A phase that moved on without a step of its own costs nothing (and saved nothing: the
      // next step saves it), so ending the invocation there would only repeat it.
      steps += ctx.commits - before;
    }
  } catch (err) {
    if (err instanceof AppError && err.code === "validation_failed") {
      await rejectRun(deps, ctx, err.message);
      return "finished";
    }
    throw err;
  }
}

/** A whole-file reject: nothing was applied; row errors are kept for the report (the cron clears staging). */
async function rejectRun(deps: Deps, ctx: RunContext, message: string) {
  const checkpoint = { ...ctx.checkpoint, seq: ctx.checkpoint.seq + 1 };
  await commitStep(deps, ctx, [], {
    checkpoint,
    counts: ctx.counts,
    status: "rejected",
    message: `Rejected: ${message}`,
  });
}

/**
 * Marks a run failed (after the last retry, or from the dead-letter queue).
 * Leaves finished runs alone, so a late dead letter cannot undo a success.
 */
export async function failImport(deps: Deps, target: { accountId: string; fileId: string }, reason: string) {
  const ctx = await loadOrCreateRun(deps, target.accountId, target.fileId);
  if (!ctx || FINISHED.has(ctx.run.status)) return;
  const d1 = deps.db.$client;
  const now = deps.now();
  const failed = await importOutcomeEvent(deps, outcomeRun(ctx), "failed", ctx.counts, { onlyIfFailed: true });
  await d1.batch([
    d1
      .prepare(
        `UPDATE import_runs SET status = 'failed', message = ?, finished_at = ?, updated_at = ?
         WHERE id = ? AND account_id = ? AND status IN ('queued', 'running')`,
      )
      .bind(`Failed: ${reason}`, now, now, ctx.run.id, ctx.run.accountId),
    d1
      .prepare(
        "UPDATE received_files SET status = 'failed' WHERE id = ? AND account_id = ? AND status IN ('queued', 'importing')",
      )
      .bind(ctx.file.id, ctx.file.accountId),
    ...eventStatements(deps, failed),
  ]);
  await enqueueEvent(deps, failed);
}
