import { and, asc, eq, gt, or } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import { notFound } from "../../errors.ts";
import type { Deps, Principal } from "../deps.ts";
import { findFile } from "../files/received-files.ts";
import { csvLine } from "./csv-writer.ts";
import { type Checkpoint, type Counts, emptyCounts } from "./run-state.ts";

/** The file and its run (null until the consumer first picked the file up). */
export async function findFileRun(deps: Deps, actor: Principal, fileId: string) {
  const file = await findFile(deps, actor, fileId);
  const [run] = await deps.db
    .select()
    .from(schema.importRuns)
    .where(and(eq(schema.importRuns.fileId, file.id), eq(schema.importRuns.accountId, actor.accountId)))
    .limit(1);
  return { file, run: run ?? null };
}

function progress(checkpoint: Checkpoint | null, counts: Counts, size: number, finished: boolean) {
  const phase = finished ? "done" : (checkpoint?.phase ?? "queued");
  const read = checkpoint?.read.byteOffset ?? 0;
  const parsing = phase === "parse" || phase === "queued";
  return {
    phase,
    bytesRead: finished ? size : Math.min(read, size),
    bytesTotal: size,
    rowsDone: counts.rows,
    /** Known once the whole file has been read. */
    rowsTotal: parsing && !finished ? null : counts.rows,
  };
}

/** A file's import report: status, detected dialect, counts, progress while running, and the outcome message. */
export async function fileReport(deps: Deps, actor: Principal, fileId: string) {
  const { file, run } = await findFileRun(deps, actor, fileId);
  const counts = { ...emptyCounts(), ...(run?.counts as Partial<Counts> | null) };
  const finished = ["applied", "tested", "rejected", "held", "failed"].includes(run?.status ?? "");
  return {
    fileId: file.id,
    name: file.name,
    isTest: file.isTest,
    status: file.status,
    held: run?.status === "held",
    dialect: (run?.dialect as Record<string, unknown> | null) ?? null,
    counts,
    progress: progress((run?.checkpoint as Checkpoint | null) ?? null, counts, file.size, finished),
    message: run?.message ?? null,
    receivedAt: file.receivedAt,
    startedAt: run?.startedAt ?? null,
    finishedAt: run?.finishedAt ?? null,
  };
}

/** Stored row errors of a file, by row then column, paged by an opaque `row:column` cursor. */
export async function listRowErrors(
  deps: Deps,
  actor: Principal,
  fileId: string,
  opts: { limit: number; cursor?: string | undefined; column?: string | undefined },
) {
  const { run } = await findFileRun(deps, actor, fileId);
  if (!run) return { errors: [], nextCursor: null };
  const e = schema.rowErrors;
  const sep = opts.cursor?.indexOf(":") ?? -1;
  const after =
    opts.cursor && sep > 0
      ? or(
          gt(e.rowNumber, Number(opts.cursor.slice(0, sep))),
          and(eq(e.rowNumber, Number(opts.cursor.slice(0, sep))), gt(e.column, opts.cursor.slice(sep + 1))),
        )
      : undefined;
  const rows = await deps.db
    .select({ row: e.rowNumber, column: e.column, reason: e.reason, value: e.value })
    .from(e)
    .where(
      and(
        eq(e.accountId, actor.accountId),
        eq(e.runId, run.id),
        opts.column ? eq(e.column, opts.column) : undefined,
        after,
      ),
    )
    .orderBy(asc(e.rowNumber), asc(e.column))
    .limit(opts.limit + 1);
  const page = rows.slice(0, opts.limit);
  const last = page.at(-1);
  return { errors: page, nextCursor: rows.length > opts.limit && last ? `${last.row}:${last.column}` : null };
}

/** Every stored row error as CSV (at most the 1,000 kept per run), formula-escaped. */
export async function rowErrorsCsv(deps: Deps, actor: Principal, fileId: string) {
  const { file } = await findFileRun(deps, actor, fileId);
  let csv = csvLine(["Row", "Column", "Reason", "Value"]);
  let cursor: string | undefined;
  for (;;) {
    const page = await listRowErrors(deps, actor, fileId, { limit: 500, cursor });
    for (const e of page.errors) csv += csvLine([e.row, e.column, e.reason, e.value]);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  if (!file) throw notFound("File");
  return { name: file.name.replace(/\.csv$/i, ""), csv };
}
