import type { Deps } from "../deps.ts";
import type { ApplyArgs, ImportKind } from "./kinds.ts";
import type { SliceOptions, StepOutcome } from "./phase-parse.ts";
import { type Checkpoint, commitStep, moveOn, type Phase, type RunContext } from "./run-state.ts";

const END = Number.MAX_SAFE_INTEGER;

/**
 * The last row number of the next `rows` rows to apply after `cursor`, or END when no row
 * follows them: the range that takes the last rows is also the last step, even when they are
 * exactly `rows`.
 */
async function rangeEnd(d1: D1Database, runId: string, cursor: number, rows: number) {
  const { results } = await d1
    .prepare(
      `SELECT row_number FROM import_rows WHERE run_id = ? AND row_number > ? AND action IN ('create', 'update')
       ORDER BY row_number LIMIT 2 OFFSET ?`,
    )
    .bind(runId, cursor, rows - 1)
    .all<{ row_number: number }>();
  return results.length === 2 ? (results[0] as { row_number: number }).row_number : END;
}

/**
 * Applies the planned rows of one range straight from staging (INSERT … SELECT
 * and UPDATE … FROM: a handful of statements with a handful of parameters per
 * range, whatever its size). Re-running a range writes the same values, and
 * the step claim keeps a committed range from being applied twice anyway.
 */
export async function rangePhase(
  deps: Deps,
  ctx: RunContext,
  _kind: ImportKind,
  opts: SliceOptions,
  statements: (d1: D1Database, a: ApplyArgs) => D1PreparedStatement[],
  nextPhase: Phase,
): Promise<StepOutcome> {
  const d1 = deps.db.$client;
  const from = ctx.checkpoint.cursor;
  const to = await rangeEnd(d1, ctx.run.id, from, opts.batchRows);
  const args: ApplyArgs = {
    accountId: ctx.run.accountId,
    runId: ctx.run.id,
    from,
    to,
    now: deps.now(),
    today: ctx.checkpoint.today ?? new Date(deps.now()).toISOString().slice(0, 10),
  };
  const done = to === END;
  const checkpoint: Checkpoint = {
    ...ctx.checkpoint,
    seq: ctx.checkpoint.seq + 1,
    cursor: done ? 0 : to,
    phase: done ? nextPhase : ctx.checkpoint.phase,
  };
  const ok = await commitStep(deps, ctx, statements(d1, args), { checkpoint, counts: ctx.counts });
  return { rows: 0, stopped: !ok };
}

export const applyPhase = (deps: Deps, ctx: RunContext, kind: ImportKind, opts: SliceOptions) =>
  rangePhase(deps, ctx, kind, opts, kind.applyStatements, "approvers");

export async function approversPhase(deps: Deps, ctx: RunContext, kind: ImportKind, opts: SliceOptions) {
  // Only a file with an Approver Email column has approvers to resolve.
  if (kind.resolvesAfterApply && ctx.checkpoint.columns?.includes("approverEmail"))
    return rangePhase(deps, ctx, kind, opts, kind.resolveStatements, "deactivate");
  return moveOn(ctx, "deactivate");
}

/** Full sync: deactivates records absent from the file, `batchRows` at a time (nothing to do under upsert). */
export async function deactivatePhase(
  deps: Deps,
  ctx: RunContext,
  kind: ImportKind,
  opts: SliceOptions,
): Promise<StepOutcome> {
  if (ctx.delivery.syncMode !== "full_sync") return moveOn(ctx, "finish");
  const d1 = deps.db.$client;
  const rows = opts.batchRows;
  const checkpoint: Checkpoint = { ...ctx.checkpoint, seq: ctx.checkpoint.seq + 1 };
  const remaining = await d1
    .prepare(`SELECT count(*) AS n FROM (${kind.absentIdsSql} LIMIT ?3)`)
    .bind(ctx.run.accountId, ctx.run.id, rows + 1)
    .first<{ n: number }>();
  const writes = [
    d1
      .prepare(`UPDATE ${kind.tableName} SET active = 0, updated_at = ?4 WHERE id IN (${kind.absentIdsSql} LIMIT ?3)`)
      .bind(ctx.run.accountId, ctx.run.id, rows, deps.now()),
  ];
  if ((remaining?.n ?? 0) <= rows) checkpoint.phase = "finish";
  const ok = await commitStep(deps, ctx, writes, { checkpoint, counts: ctx.counts });
  return { rows: 0, stopped: !ok };
}

/** The run is applied: its counts are the plan's, so a replay reports the same. */
export async function finishPhase(deps: Deps, ctx: RunContext): Promise<StepOutcome> {
  const c = ctx.counts;
  const message =
    `Applied: ${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged, ${c.deactivated} deactivated` +
    (c.skipped ? `, ${c.skipped} rows skipped with errors` : "");
  const checkpoint: Checkpoint = { ...ctx.checkpoint, seq: ctx.checkpoint.seq + 1 };
  const ok = await commitStep(deps, ctx, [], { checkpoint, counts: c, status: "applied", message });
  return { rows: 0, stopped: !ok };
}
