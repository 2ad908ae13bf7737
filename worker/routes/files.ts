import { createRoute, z } from "@hono/zod-openapi";
import { deliveryTimeline } from "../domain/alerts/timeline.ts";
import { uploadOverHttp } from "../domain/files/http-upload.ts";
import { fileView, findFile, listFiles, openFileContent } from "../domain/files/received-files.ts";
import { AppError } from "../errors.ts";
import { requireAuth } from "../http/auth.ts";
import { router } from "../http/types.ts";
import { IdParam, json, problems } from "./schemas.ts";

const ReceivedFile = z
  .object({
    id: z.string(),
    deliveryId: z.string(),
    name: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    sourceIp: z.string().nullable(),
    via: z.enum(["sftp", "http"]),
    isTest: z.boolean().openapi({ description: "`test` is a word of the name: validated, nothing applied" }),
    status: z.enum(["queued", "importing", "applied", "tested", "rejected", "held", "failed"]),
    receivedAt: z.number().int(),
  })
  .openapi("ReceivedFile");

const base = router();
base.use("/deliveries/*", requireAuth());
base.use("/files/*", requireAuth());

const Timeline = z
  .object({
    timeZone: z.string(),
    from: z.number().int(),
    to: z.number().int(),
    frequency: z.string(),
    windows: z.array(
      z.object({
        start: z.number().int(),
        deadline: z.number().int(),
        files: z.number().int(),
        state: z.enum(["received", "rejected", "missed", "open"]),
      }),
    ),
    files: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        size: z.number().int(),
        status: z.string(),
        isTest: z.boolean(),
        receivedAt: z.number().int(),
      }),
    ),
  })
  .openapi("Timeline");

/** Received files: what arrived, from where, and the original bytes. */
export const files = base
  .openapi(
    createRoute({
      method: "get",
      path: "/deliveries/{id}/timeline",
      tags: ["files"],
      summary: "File arrivals against the expected windows, for the timeline picture",
      request: {
        params: IdParam,
        query: z.object({ days: z.coerce.number().int().min(1).max(90).default(14) }),
      },
      responses: { 200: json(Timeline, "Windows and arrivals, oldest first"), ...problems(401, 404) },
    }),
    async (c) =>
      c.json(
        await deliveryTimeline(c.var.deps, c.var.principal, c.req.valid("param").id, c.req.valid("query").days),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/deliveries/{id}/files",
      tags: ["files"],
      summary: "Upload a file over HTTPS (instead of SFTP)",
      description: [
        "Send the CSV as the request body (`Content-Type: text/csv`). It is streamed into storage, then validated",
        "and imported exactly like an SFTP upload. A name containing the word `test`, or `?test=true`, makes it a",
        "Test file: validated, nothing applied. Send an `Idempotency-Key` header to make retries safe: a retry",
        "with the same key answers the first upload's file instead of storing another. Bodies are limited by",
        "Workers' request size (100 MB on most plans); use SFTP for larger files.",
      ].join(" "),
      request: {
        params: IdParam,
        query: z.object({
          name: z.string().min(1).max(255).optional().openapi({ example: "users.csv" }),
          test: z.enum(["true", "false"]).optional(),
        }),
        headers: z.object({ "idempotency-key": z.string().min(1).max(200).optional() }),
        body: { required: true, content: { "text/csv": { schema: z.string().openapi({ format: "binary" }) } } },
      },
      responses: {
        202: json(
          z.object({ file: ReceivedFile, statusUrl: z.string(), replayed: z.boolean() }).openapi("AcceptedFile"),
          "Stored and queued for import",
        ),
        ...problems(400, 401, 404, 409, 413, 422),
      },
    }),
    async (c) => {
      const body = c.req.raw.body;
      if (!body) throw new AppError("bad_request", "The request body is empty: send the CSV file as the body");
      const query = c.req.valid("query");
      const result = await uploadOverHttp(c.var.deps, c.var.principal, c.req.valid("param").id, {
        name: query.name ?? `upload-${new Date(c.var.deps.now()).toISOString().replace(/[:.]/g, "-")}.csv`,
        test: query.test === "true",
        idempotencyKey: c.req.header("idempotency-key"),
        sourceIp: c.req.header("cf-connecting-ip") ?? null,
        body,
      });
      if (result.replayed) c.header("idempotent-replayed", "true");
      return c.json({ ...result, statusUrl: `/api/v1/files/${result.file.id}` }, 202);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/deliveries/{id}/files",
      tags: ["files"],
      summary: "Files received for a delivery, newest first",
      request: {
        params: IdParam,
        query: z.object({
          limit: z.coerce.number().int().min(1).max(200).default(50),
          cursor: z.string().max(100).optional(),
        }),
      },
      responses: {
        200: json(z.object({ files: z.array(ReceivedFile), nextCursor: z.string().nullable() }), "A page of files"),
        ...problems(401, 404),
      },
    }),
    async (c) =>
      c.json(await listFiles(c.var.deps, c.var.principal, c.req.valid("param").id, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/files/{id}",
      tags: ["files"],
      summary: "One received file",
      request: { params: IdParam },
      responses: { 200: json(ReceivedFile, "The file"), ...problems(401, 404) },
    }),
    async (c) => c.json(fileView(await findFile(c.var.deps, c.var.principal, c.req.valid("param").id)), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/files/{id}/content",
      tags: ["files"],
      summary: "Download the original file, byte for byte",
      request: { params: IdParam },
      responses: {
        200: { description: "The original bytes", content: { "text/csv": { schema: z.string() } } },
        ...problems(401, 404),
      },
    }),
    async (c) => {
      const { row, object } = await openFileContent(c.var.deps, c.var.principal, c.req.valid("param").id);
      const asciiName = row.name.replace(/[^\x20-\x7e]|["\\]/g, "_");
      return c.body(object.body, 200, {
        "content-type": "text/csv; charset=utf-8",
        "content-length": String(object.size),
        "content-disposition": `attachment; filename="${asciiName}"; filename*=UTF-8''${encodeURIComponent(row.name)}`,
        "x-content-sha256": row.sha256,
        "cache-control": "private, no-store",
      });
    },
  );
