import type { Deps } from "../deps.ts";
import { newSortableId } from "../ids.ts";
import type { ColumnDef } from "./columns.ts";
import { describeDialect } from "./csv-dialect.ts";
import { type CsvRecord, detectDialect, type RecordBatch, readRecords } from "./csv-reader.ts";
import { mapHeader, rejectFile } from "./header.ts";
import type { ImportKind } from "./kinds.ts";
import { planBatch } from "./phase-plan.ts";
import { rowValidator } from "./row-validator.ts";
import {
  type Checkpoint,
  type Counts,
  commitStep,
  emptyCounts,
  initialCheckpoint,
  type RunContext,
} from "./run-state.ts";
import { errorStatements, type RowError, type StagedRow, stageStatements } from "./staging.ts";
import { InvalidUtf8 } from "./text-decoding.ts";

export interface SliceOptions {
  /** Rows per committed step (one atomic batch). */
  batchRows: number;
  /** Rows read from the file per invocation (the Worker's CPU and memory) before a continuation message. */
  sliceRows: number;
  /**
   * Steps per invocation before a continuation message (D1 queries per invocation). Defaults to
   * `sliceRows / batchRows`: every step then costs as much as a step of the parse.
   */
  maxSteps?: number;
}

/**
 * How a phase run ended: the rows it read from the file (only the parse reads), and whether it
 * stopped because another delivery owns the run.
 */
export type StepOutcome = { rows: number; stopped: boolean };

const isBlank = (fields: readonly string[]) => blankFrom(fields, 0);
/** Whether every field from `start` on is blank (no copy of the rest: this runs for every row). */
function blankFrom(fields: readonly string[], start: number) {
  for (let i = start; i < fields.length; i++) if ((fields[i] as string).trim() !== "") return false;
  return true;
}
// biome-ignore lint/suspicious/noControlCharactersInRegex: any byte above ASCII counts
const NON_ASCII = /[^\u0000-\u007f]/;

/**
 * Reads the file from the checkpoint in batches; each batch is validated,
 * planned against the database, and staged (rows with their planned action,
 * and row errors) in one atomic step with the new checkpoint.
 * Invalid UTF-8 switches to Windows-1252: in place when everything committed so
 * far was ASCII (identical in both), otherwise by reading again from the start.
 */
export async function parsePhase(
  deps: Deps,
  ctx: RunContext,
  kind: ImportKind,
  opts: SliceOptions,
): Promise<StepOutcome> {
  let rows = 0;
  try {
    const dialect =
      ctx.checkpoint.dialect ?? (await detectDialect(deps.bucket, ctx.file.r2Key, ctx.checkpoint.forcedEncoding));
    const batches = readRecords(deps.bucket, ctx.file.r2Key, dialect, ctx.checkpoint.read, opts.batchRows);
    // The next batch is read and parsed while this one's queries are in flight (a batch that turns
    // out not to be needed is dropped unread; nothing of it was committed).
    let upcoming: Promise<IteratorResult<RecordBatch>> | null = batches.next();
    try {
      for (;;) {
        const next: IteratorResult<RecordBatch> = await (upcoming as Promise<IteratorResult<RecordBatch>>);
        if (next.done) break;
        const batch = next.value;
        const checkpoint: Checkpoint = { ...ctx.checkpoint, dialect, seq: ctx.checkpoint.seq + 1, read: batch.end };
        const counts: Counts = { ...ctx.counts };
        let records = batch.records;
        if (!checkpoint.columns) {
          const [header, ...rest] = records;
          if (!header) throw rejectFile("The file is empty");
          checkpoint.columns = mapHeader(kind.table, header.fields).map((c) => c?.id ?? null);
          records = rest;
        }
        const columns = checkpoint.columns.map((id) => kind.table.columns.find((c) => c.id === id) ?? null);
        const { staged, errors } = validateRecords(kind, columns, records, checkpoint, counts);
        checkpoint.today ??= new Date(deps.now()).toISOString().slice(0, 10);
        const d1 = deps.db.$client;
        const planned = planBatch(d1, kind, ctx.run.accountId, checkpoint.today, staged, counts);
        const last = batch.done || rows + batch.records.length >= opts.sliceRows;
        upcoming = last ? null : batches.next();
        // Its error (a reject, invalid UTF-8) is raised where it is awaited, in order, not before.
        upcoming?.catch(() => {});
        errors.push(...(await planned));
        if (checkpoint.phase === "parse" && batch.done) checkpoint.phase = "check";
        const header = columns.map((c) => c?.header ?? null);
        const writes = [
          ...stageStatements(d1, ctx.run, kind.staged, staged),
          ...errorStatements(d1, ctx.run, counts, errors),
        ];
        const ok = await commitStep(deps, ctx, writes, {
          checkpoint,
          counts,
          dialect: { ...describeDialect(dialect), header },
        });
        if (!ok) return { rows, stopped: true };
        rows += batch.records.length;
        if (last) break;
      }
    } finally {
      // A batch read ahead and not used is dropped (nothing of it was committed).
      await batches.return(undefined).catch(() => {});
    }
    return { rows, stopped: false };
  } catch (err) {
    if (!(err instanceof InvalidUtf8)) throw err;
    return { rows, stopped: !(await switchTo1252(deps, ctx)) };
  }
}

function validateRecords(
  kind: ImportKind,
  columns: (ColumnDef | null)[],
  records: CsvRecord[],
  checkpoint: Checkpoint,
  counts: Counts,
) {
  const validate = rowValidator(kind.table, columns);
  const staged: StagedRow[] = [];
  const errors: RowError[] = [];
  const width = columns.length;
  const checkAscii = checkpoint.dialect?.encoding === "utf-8";
  for (const rec of records) {
    if (isBlank(rec.fields)) continue;
    counts.rows++;
    if (checkAscii && !checkpoint.nonAscii && rec.fields.some((f) => NON_ASCII.test(f))) checkpoint.nonAscii = true;
    const ragged = rec.fields.length < width || !blankFrom(rec.fields, width);
    if (ragged) checkpoint.ragged++;
    const problem = ragged || rec.quoteProblem;
    if (problem) errors.push({ rowNumber: rec.number, ...rowProblem(rec, ragged, width) });
    const result = validate(rec.fields);
    if (!result.ok) for (const e of result.errors) errors.push({ rowNumber: rec.number, ...e });
    const failed = problem || !result.ok;
    if (failed) counts.skipped++;
    if (result.key === null) continue;
    const values = result.ok ? result.values : {};
    const unique = kind.uniqueColumn ? values[kind.uniqueColumn] : null;
    staged.push({
      rowNumber: rec.number,
      key: result.key,
      uniqueValue: typeof unique === "string" ? unique : null,
      newId: newSortableId(kind.idPrefix),
      values,
      action: failed ? "error" : "pending",
    });
  }
  return { staged, errors };
}

/**
 * The one `(row)` error of a ragged or badly quoted record. A malformed quote is
 * what makes such a record ragged, so it leads; one error per row and column
 * also keeps row_errors' primary key from dropping either.
 */
function rowProblem(rec: CsvRecord, ragged: boolean, width: number): Omit<RowError, "rowNumber"> {
  const n = rec.fields.length;
  const fieldCount = `has ${n} field${n === 1 ? "" : "s"}; the header has ${width}`;
  const quote = "has a malformed quoted field (an unclosed or stray quote)";
  const reason = !rec.quoteProblem ? fieldCount : ragged ? `${quote}, so it ${fieldCount}` : quote;
  return { column: "(row)", reason, value: null };
}

/** Re-reads the file as Windows-1252; staged rows are dropped first (the reset phase) when they held non-ASCII text. */
async function switchTo1252(deps: Deps, ctx: RunContext): Promise<boolean> {
  const restart = ctx.checkpoint.nonAscii;
  const checkpoint: Checkpoint = restart
    ? { ...initialCheckpoint("windows-1252"), seq: ctx.checkpoint.seq + 1, phase: "reset" }
    : {
        ...ctx.checkpoint,
        seq: ctx.checkpoint.seq + 1,
        forcedEncoding: "windows-1252",
        ...(ctx.checkpoint.dialect
          ? { dialect: { ...ctx.checkpoint.dialect, encoding: "windows-1252" as const } }
          : {}),
      };
  const counts = restart ? emptyCounts() : ctx.counts;
  const dialect = checkpoint.dialect ? { ...ctx.run.dialect, encoding: "windows-1252" } : undefined;
  return commitStep(deps, ctx, [], { checkpoint, counts, ...(dialect ? { dialect } : {}) });
}
