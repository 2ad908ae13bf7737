import type { Deps } from "../deps.ts";
import { keyColumn } from "./columns.ts";
import { statementsIn } from "./d1-bulk.ts";
import { rejectFile } from "./header.ts";
import type { ImportKind, PlanRow } from "./kinds.ts";
import type { SliceOptions, StepOutcome } from "./phase-parse.ts";
import type { RowValues } from "./row-validator.ts";
import { type Checkpoint, type Counts, commitStep, type RunContext } from "./run-state.ts";
import { errorStatements, type RowError } from "./staging.ts";

/** Ragged rows beyond this many (or 1% of the rows, if more) mean the file is not read as its author meant. */
const RAGGED_TOLERANCE = 10;

/** Whole-file checks that need every row: ragged rows beyond the tolerance, duplicate keys. */
export async function checkPhase(deps: Deps, ctx: RunContext, kind: ImportKind): Promise<StepOutcome> {
  const { ragged } = ctx.checkpoint;
  const tolerance = Math.max(RAGGED_TOLERANCE, Math.floor(ctx.counts.rows / 100));
  if (ragged > tolerance) {
    throw rejectFile(
      `${ragged} rows have a different number of fields than the header (at most ${tolerance} are tolerated): check the delimiter and quoting`,
    );
  }
  const dupes = await deps.db.$client
    .prepare(
      `SELECT key, group_concat(row_number) AS rows_list FROM import_rows WHERE run_id = ?
       GROUP BY key HAVING count(*) > 1 ORDER BY min(row_number) LIMIT 5`,
    )
    .bind(ctx.run.id)
    .all<{ key: string; rows_list: string }>();
  if (dupes.results.length) {
    const list = dupes.results.map((d) => {
      const rows = d.rows_list
        .split(",")
        .map(Number)
        .sort((a, b) => a - b);
      const shown = rows.slice(0, 10).join(", ") + (rows.length > 10 ? ` and ${rows.length - 10} more` : "");
      return `"${d.key}" on rows ${shown}`;
    });
    throw rejectFile(`Duplicate ${keyColumn(kind.table).header} in the file: ${list.join("; ")}`);
  }
  const today = new Date(deps.now()).toISOString().slice(0, 10);
  const checkpoint: Checkpoint = { ...ctx.checkpoint, seq: ctx.checkpoint.seq + 1, phase: "plan", cursor: 0, today };
  const ok = await commitStep(deps, ctx, [], { checkpoint, counts: ctx.counts });
  return { rows: 0, stopped: !ok };
}

function differs(kind: ImportKind, a: RowValues, b: RowValues) {
  return kind.table.columns.some((c) => (a[c.id] ?? null) !== (b[c.id] ?? null));
}

/**
 * Decides create / update / unchanged for the next staged rows (or skips them
 * with errors found against the database), and stores the decision so that a
 * replay reports the same thing whatever was applied since.
 */
export async function planPhase(
  deps: Deps,
  ctx: RunContext,
  kind: ImportKind,
  opts: SliceOptions,
): Promise<StepOutcome> {
  const d1 = deps.db.$client;
  const { results } = await d1
    .prepare(
      `SELECT row_number, key, data FROM import_rows WHERE run_id = ? AND row_number > ? AND action = 'pending'
       ORDER BY row_number LIMIT ?`,
    )
    .bind(ctx.run.id, ctx.checkpoint.cursor, opts.batchRows)
    .all<{ row_number: number; key: string; data: string }>();
  const rows: PlanRow[] = results.map((r) => ({ rowNumber: r.row_number, key: r.key, values: JSON.parse(r.data) }));
  const checkpoint: Checkpoint = { ...ctx.checkpoint, seq: ctx.checkpoint.seq + 1 };
  const counts: Counts = { ...ctx.counts };
  if (rows.length < opts.batchRows) checkpoint.phase = "decide";
  const last = rows.at(-1);
  if (last) checkpoint.cursor = last.rowNumber;
  const today = ctx.checkpoint.today ?? new Date(deps.now()).toISOString().slice(0, 10);
  const [existing, check] = await Promise.all([
    kind.loadExisting(
      d1,
      ctx.run.accountId,
      rows.map((r) => r.key),
    ),
    kind.prepareChecks(d1, { accountId: ctx.run.accountId, runId: ctx.run.id }, rows),
  ]);
  const actions = { create: [] as number[], update: [] as number[], unchanged: [] as number[], error: [] as number[] };
  const errors: RowError[] = [];
  for (const row of rows) {
    const before = existing.get(row.key);
    const merged = { ...(before?.values ?? kind.defaults), ...row.values };
    const rowErrors = check(row, merged, before);
    if (rowErrors.length) {
      errors.push(...rowErrors);
      actions.error.push(row.rowNumber);
      counts.skipped++;
    } else if (!before) {
      actions.create.push(row.rowNumber);
      counts.created++;
    } else if (differs(kind, kind.effective(merged, today), before.values)) {
      actions.update.push(row.rowNumber);
      counts.updated++;
    } else {
      actions.unchanged.push(row.rowNumber);
      counts.unchanged++;
    }
  }
  const writes = Object.entries(actions).flatMap(([action, numbers]) =>
    statementsIn(
      d1,
      `UPDATE import_rows SET action = '${action}' WHERE run_id = ?1 AND row_number IN (?IN)`,
      [ctx.run.id],
      numbers,
    ),
  );
  writes.push(...errorStatements(d1, ctx.run, counts, errors));
  const ok = await commitStep(deps, ctx, writes, { checkpoint, counts });
  return { rows: rows.length, stopped: !ok };
}

/**
 * After the plan: a Test file ends here with its would-be report; a full sync
 * that would deactivate more than the delivery's threshold is held for an admin.
 */
export async function decidePhase(deps: Deps, ctx: RunContext, kind: ImportKind): Promise<StepOutcome> {
  const d1 = deps.db.$client;
  const fullSync = ctx.delivery.syncMode === "full_sync";
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
