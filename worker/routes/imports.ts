import { createRoute, z } from "@hono/zod-openapi";
import type { Deps, Principal } from "../domain/deps.ts";
import { fileReport, listRowErrors, rowErrorsCsv } from "../domain/imports/reports.ts";
import { reprocessFile } from "../domain/imports/reprocess.ts";
import { decideHeldFile } from "../domain/imports/review.ts";
import { requireAuth } from "../http/auth.ts";
import { router } from "../http/types.ts";
import { IdParam, json, problems } from "./schemas.ts";

const Counts = z.object({
  rows: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  deactivated: z.number().int().openapi({ description: "For Test files and held files: would be deactivated" }),
  skipped: z.number().int().openapi({ description: "Rows skipped because of errors" }),
  errors: z.number().int(),
  errorsDropped: z.number().int().openapi({ description: "Errors beyond the 1,000 stored per file" }),
});

const Report = z
  .object({
    fileId: z.string(),
    name: z.string(),
    isTest: z.boolean(),
    status: z.enum(["queued", "importing", "applied", "tested", "rejected", "held", "failed"]),
    held: z.boolean(),
    dialect: z
      .object({
        encoding: z.string(),
        bom: z.boolean(),
        delimiter: z.string(),
        lineEnding: z.string(),
        header: z.array(z.string().nullable()),
      })
      .partial()
      .nullable(),
    counts: Counts,
    progress: z.object({
      phase: z.string(),
      bytesRead: z.number().int(),
      bytesTotal: z.number().int(),
      rowsDone: z.number().int(),
      rowsTotal: z.number().int().nullable(),
    }),
    message: z.string().nullable(),
    receivedAt: z.number().int(),
    startedAt: z.number().int().nullable(),
    finishedAt: z.number().int().nullable(),
  })
  .openapi("ImportReport");

const RowError = z
  .object({ row: z.number().int(), column: z.string(), reason: z.string(), value: z.string().nullable() })
  .openapi("RowError");

/** The row errors as a CSV download (cells that could run as formulas are escaped). */
async function errorsCsvResponse(deps: Deps, actor: Principal, fileId: string) {
  const { name, csv } = await rowErrorsCsv(deps, actor, fileId);
  const ascii = `${name.replace(/[^\x20-\x7e]|["\\]/g, "_")}-errors.csv`;
  return new Response(csv, {
    status: 200,
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${ascii}"`,
      "cache-control": "private, no-store",
      vary: "Accept",
    },
  });
}

/** Whether the client asked for CSV rather than JSON (`Accept: text/csv` preferred over JSON). */
function wantsCsv(accept: string | undefined) {
  if (!accept) return false;
  const q = (type: string) => {
    for (const part of accept.toLowerCase().split(",")) {
      const [media, ...params] = part.trim().split(";");
      if (media?.trim() !== type) continue;
      const qv = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      return qv ? Number(qv.slice(2)) || 0 : 1;
    }
    return 0;
  };
  const csv = q("text/csv");
  return csv > 0 && csv > q("application/json");
}

const base = router();
base.use("/files/*", requireAuth());

/** Import reports, row errors and decisions on held full-sync files. */
export const imports = base
  .openapi(
    createRoute({
      method: "get",
      path: "/files/{id}/report",
      tags: ["imports"],
      summary: "A file's import report: status, dialect, counts, progress and outcome",
      request: { params: IdParam },
      responses: { 200: json(Report, "The report"), ...problems(401, 404) },
    }),
    async (c) => c.json((await fileReport(c.var.deps, c.var.principal, c.req.valid("param").id)) as never, 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/files/{id}/errors",
      tags: ["imports"],
      summary: "A file's row errors, by row, paged (all of them as CSV with `Accept: text/csv`)",
      request: {
        params: IdParam,
        query: z.object({
          limit: z.coerce.number().int().min(1).max(500).default(100),
          cursor: z.string().max(200).optional(),
          column: z.string().max(100).optional().openapi({ description: "Only errors of this column (its header)" }),
        }),
      },
      responses: {
        200: {
          description: "A page of row errors; or, with `Accept: text/csv`, every stored row error as CSV",
          content: {
            "application/json": {
              schema: z.object({ errors: z.array(RowError), nextCursor: z.string().nullable() }),
            },
            "text/csv": { schema: z.string().openapi({ description: "Row, Column, Reason, Value" }) },
          },
        },
        ...problems(401, 404, 422),
      },
    }),
    async (c) => {
      const id = c.req.valid("param").id;
      if (wantsCsv(c.req.header("accept"))) return errorsCsvResponse(c.var.deps, c.var.principal, id) as never;
      c.header("vary", "Accept");
      return c.json(await listRowErrors(c.var.deps, c.var.principal, id, c.req.valid("query")), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/files/{id}/errors.csv",
      tags: ["imports"],
      summary: "A file's row errors as CSV (cells that could run as formulas are escaped)",
      request: { params: IdParam },
      responses: {
        200: { description: "Row, Column, Reason, Value", content: { "text/csv": { schema: z.string() } } },
        ...problems(401, 404),
      },
    }),
    async (c) => errorsCsvResponse(c.var.deps, c.var.principal, c.req.valid("param").id) as never,
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/files/{id}/approve",
      tags: ["imports"],
      summary: "Approve a full-sync file held above its deactivation threshold: it is applied",
      request: { params: IdParam },
      responses: {
        202: json(z.object({ status: z.string() }), "Approved; the import resumes"),
        ...problems(401, 403, 404, 409),
      },
    }),
    async (c) => c.json(await decideHeldFile(c.var.deps, c.var.principal, c.req.valid("param").id, "approve"), 202),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/files/{id}/reject",
      tags: ["imports"],
      summary: "Reject a held full-sync file: nothing is applied",
      request: { params: IdParam },
      responses: {
        200: json(z.object({ status: z.string() }), "Rejected"),
        ...problems(401, 403, 404, 409),
      },
    }),
    async (c) => c.json(await decideHeldFile(c.var.deps, c.var.principal, c.req.valid("param").id, "reject"), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/files/{id}/reprocess",
      tags: ["imports"],
      summary: "Import a file again from its stored bytes (after it was applied, tested, rejected or failed)",
      description:
        "Starts the next attempt of the file's import: its report starts over and its outcome is announced again " +
        "(webhook, summary email). A held file is approved or rejected instead; a file being imported answers 409.",
      request: { params: IdParam },
      responses: {
        202: json(z.object({ status: z.literal("queued"), attempt: z.number().int() }), "Queued for import"),
        ...problems(401, 403, 404, 409),
      },
    }),
    async (c) => c.json(await reprocessFile(c.var.deps, c.var.principal, c.req.valid("param").id), 202),
  );
