import type { Deps } from "../deps.ts";
import { keyColumn } from "./columns.ts";
import { statementsIn } from "./d1-bulk.ts";
import { quoteFromFile, rejectFile } from "./header.ts";
import type { ImportKind } from "./kinds.ts";
import type { StepOutcome } from "./phase-parse.ts";
import type { RowValues } from "./row-validator.ts";
import { type Checkpoint, type Counts, commitStep, moveOn, type RunContext } from "./run-state.ts";
import { errorStatements, type RowError, type StagedRow } from "./staging.ts";

/** Ragged rows beyond this many (or 1% of the rows, if more) mean the file is not read as its author meant. */
const RAGGED_TOLERANCE = 10;

/** Staged rows covered by one step of the file-wide checks. */
const CHECK_SPAN = 20_000;

function differs(kind: ImportKind, a: RowValues, b: RowValues) {
  return kind.table.columns.some((c) => (a[c.id] ?? null) !== (b[c.id] ?? null));
}

/**
 * Plans one batch of validated rows against the database: create, update,
 * unchanged, or skipped with errors found there. Nothing is applied before the
 * whole file has been read, so every batch sees the same database, and the
 * decision is staged with the row (a replay reports the same thing).
 */
export async function planBatch(
  d1: D1Database,
  kind: ImportKind,
  accountId: string,
  today: string,
  staged: StagedRow[],
  counts: Counts,
): Promise<RowError[]> {
  // A staged row serves as the kind's PlanRow; its action is decided in place.
  const rows: StagedRow[] = staged.filter((r) => r.action === "pending");
  const [existing, check] = await Promise.all([
    kind.loadExisting(
      d1,
      accountId,
      rows.map((r) => r.key),
    ),
    kind.prepareChecks(d1, accountId, rows),
  ]);
  const errors: RowError[] = [];
  for (const row of rows) {
    const before = existing.get(row.key);
    const merged = { ...(before?.values ?? kind.defaults), ...row.values };
    const rowErrors = check(row, merged, before);
    if (rowErrors.length) {
      for (const e of rowErrors) errors.push(e);
      row.action = "error";
      counts.skipped++;
    } else if (!before) {
      row.action = "create";
      counts.created++;
    } else if (differs(kind, kind.effective(merged, today), before.values)) {
      row.action = "update";
      counts.updated++;
    } else {
      row.action = "unchanged";
      counts.unchanged++;
    }
  }
  return errors;
}

const countOf = { create: "created", update: "updated", unchanged: "unchanged" } as const;

/**
 * Whole-file checks, once every row is staged. The first step rejects the file
 * for ragged rows beyond the tolerance or duplicate keys; then, CHECK_SPAN rows
 * per step, rows failing the kind's checks against the rest of the file are
 * skipped (action 'skipped') with their errors, and their counts move to skipped.
 */
export async function checkPhase(deps: Deps, ctx: RunContext, kind: ImportKind): Promise<StepOutcome> {
  const d1 = deps.db.$client;
  const from = ctx.checkpoint.cursor;
  const to = from + CHECK_SPAN;
  // Every record of the file has been read: the last one's number bounds the staged rows.
  const done = to >= ctx.checkpoint.read.recordsRead;
  if (from === 0) rejectRagged(ctx);
  const reads: D1PreparedStatement[] = [];
  if (from === 0) reads.push(duplicateKeys(d1, ctx.run.id));
  if (kind.fileChecksSql) reads.push(d1.prepare(kind.fileChecksSql).bind(ctx.run.accountId, ctx.run.id, from, to));
  const results = reads.length ? await d1.batch(reads) : [];
  if (from === 0) rejectDuplicateKeys(kind, results.shift()?.results as DuplicateKey[]);
  const counts: Counts = { ...ctx.counts };
  const writes: D1PreparedStatement[] = [];
  if (kind.fileChecksSql) {
    const failed = results.shift()?.results as FailedCheck[];
    const skipped = new Set<number>();
    for (const r of failed) {
      if (skipped.has(r.row_number)) continue;
      skipped.add(r.row_number);
      const counted = countOf[r.action as keyof typeof countOf];
      if (counted) counts[counted]--;
      counts.skipped++;
    }
    writes.push(
      ...statementsIn(
        d1,
        "UPDATE import_rows SET action = 'skipped' WHERE run_id = ?1 AND row_number IN (?IN)",
        [ctx.run.id],
        [...skipped],
      ),
      ...errorStatements(
        d1,
        ctx.run,
        counts,
        failed.map((r) => ({ rowNumber: r.row_number, column: r.column, reason: r.reason, value: r.value })),
      ),
    );
  }
  const checkpoint: Checkpoint = {
    ...ctx.checkpoint,
    seq: ctx.checkpoint.seq + 1,
    cursor: done ? 0 : to,
    phase: done ? "decide" : "check",
  };
  const ok = await commitStep(deps, ctx, writes, { checkpoint, counts });
  return { rows: 0, stopped: !ok };
}

type FailedCheck = { row_number: number; action: string; column: string; reason: string; value: string | null };
type DuplicateKey = { key: string; rows_list: string };

function rejectRagged(ctx: RunContext) {
  const { ragged } = ctx.checkpoint;
  const tolerance = Math.max(RAGGED_TOLERANCE, Math.floor(ctx.counts.rows / 100));
  if (ragged > tolerance) {
    throw rejectFile(
      `${ragged} rows have a different number of fields than the header (at most ${tolerance} are tolerated): check the delimiter and quoting`,
    );
  }
}

const duplicateKeys = (d1: D1Database, runId: string) =>
  d1
    .prepare(
      `SELECT key, group_concat(row_number) AS rows_list FROM import_rows WHERE run_id = ?
       GROUP BY key HAVING count(*) > 1 ORDER BY min(row_number) LIMIT 5`,
    )
    .bind(runId);

function rejectDuplicateKeys(kind: ImportKind, dupes: DuplicateKey[]) {
  if (!dupes.length) return;
  const list = dupes.map((d) => {
    const rows = d.rows_list
      .split(",")
      .map(Number)
      .sort((a, b) => a - b);
    const shown = rows.slice(0, 10).join(", ") + (rows.length > 10 ? ` and ${rows.length - 10} more` : "");
    return `${quoteFromFile(d.key)} on rows ${shown}`;
  });
  throw rejectFile(`Duplicate ${keyColumn(kind.table).header} in the file: ${list.join("; ")}`);
}

/**
 * After the plan: a Test file ends here with its would-be report; a full sync
 * that would deactivate more than the delivery's threshold is held for an admin.
 */
export async function decidePhase(deps: Deps, ctx: RunContext, kind: ImportKind): Promise<StepOutcome> {
  const fullSync = ctx.delivery.syncMode === "full_sync";
  // An upsert of a real file has nothing to decide: it is applied.
  if (!fullSync && !ctx.run.isTest) return moveOn(ctx, "apply", 0);
  const d1 = deps.db.$client;
  const counts: Counts = { ...ctx.counts };
  const checkpoint: Checkpoint = { ...ctx.checkpoint, seq: ctx.checkpoint.seq + 1, phase: "apply", cursor: 0 };
  let status: "running" | "held" | "tested" = ctx.run.isTest ? "tested" : "running";
  let message: string | null = null;
  if (fullSync) {
    const [absent, active] = await d1.batch<{ n: number }>([
      d1.prepare(`SELECT count(*) AS n FROM (${kind.absentIdsSql})`).bind(ctx.run.accountId, ctx.run.id),
      d1
        .prepare(`SELECT count(*) AS n FROM ${kind.tableName} WHERE account_id = ? AND active = 1`)
        .bind(ctx.run.accountId),
    ]);
    const n = absent?.results[0]?.n ?? 0;
    const total = active?.results[0]?.n ?? 0;
    counts.deactivated = n;
    const threshold = ctx.delivery.fullSyncThresholdPercent;
    if (n * 100 > threshold * total && !checkpoint.approvedBy) {
      const share = `${n} of ${total} active ${kind.tableName} (${Math.round((n * 100) / total)}%)`;
      if (ctx.run.isTest) {
        message = `Full sync would deactivate ${share}, above the ${threshold}% threshold: a real file would be held for approval`;
      } else {
        status = "held";
        checkpoint.phase = "apply";
        message = `Held: full sync would deactivate ${share}, above the ${threshold}% threshold. An admin must approve or reject it.`;
      }
    }
  }
  if (status === "tested") {
    checkpoint.phase = "finish";
    message ??= "Test file: validated, nothing applied";
  }
  const ok = await commitStep(deps, ctx, [], { checkpoint, counts, status, message });
  return { rows: 0, stopped: !ok };
}
