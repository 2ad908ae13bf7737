import { and, eq, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import type { z } from "zod";
import {
  completeUploadRequest,
  connectionCheckRequest,
  createUploadRequest,
  loginRequest,
  RELAY_SESSION_HEADER,
} from "../../contracts/relay.ts";
import { schema } from "../db/client.ts";
import {
  abortUpload,
  completeUpload,
  createUpload,
  listRecentFiles,
  type UploadOwner,
  uploadPart,
} from "../domain/files/uploads.ts";
import { checkConnection, decideLogin, RELAY_LIMITS } from "../domain/relay/logins.ts";
import { verifyRelaySession } from "../domain/relay/relay-session.ts";
import { endSession, touchSession } from "../domain/relay/relay-sessions.ts";
import { listResults, readResult } from "../domain/relay/results.ts";
import { AppError, validationFailed } from "../errors.ts";
import { requireRelay } from "../http/auth.ts";
import type { AppEnv } from "../http/types.ts";

const MAX_JSON_BYTES = 64 * 1024;

/** Parses a JSON body against a contract schema; failures are 422 problems listing each field. */
async function body<T extends z.ZodType>(req: Request, schema: T): Promise<z.infer<T>> {
  if (Number(req.headers.get("content-length") ?? 0) > MAX_JSON_BYTES) {
    throw new AppError("payload_too_large", "The request body is too large");
  }
  let json: unknown;
  try {
    json = await req.json();
  } catch {
    throw new AppError("malformed_json", "The request body is not valid JSON");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw validationFailed(parsed.error.issues.map((i) => ({ field: i.path.join("."), message: i.message })));
  }
  return parsed.data;
}

type RelayEnv = AppEnv & { Variables: AppEnv["Variables"] & { owner: UploadOwner; sid: string } };

/**
 * Calls made for a logged-in SFTP session: the signed session names the
 * delivery, which must still exist and be enabled (disabling stops uploads at once).
 */
const withSession = createMiddleware<RelayEnv>(async (c, next) => {
  const deps = c.var.deps;
  const session = await verifyRelaySession(deps, c.req.header(RELAY_SESSION_HEADER) ?? "");
  const [delivery] = await deps.db
    .select({ status: schema.deliveries.status, rotatedAt: schema.deliveries.credentialsRotatedAt })
    .from(schema.deliveries)
    .where(
      and(
        eq(schema.deliveries.id, session.deliveryId),
        eq(schema.deliveries.accountId, session.accountId),
        isNull(schema.deliveries.deletedAt),
      ),
    )
    .limit(1);
  if (delivery?.status !== "enabled") {
    throw new AppError("forbidden", "The delivery is disabled or deleted");
  }
  if (session.iat < delivery.rotatedAt) {
    throw new AppError("unauthorized", "The delivery's credentials were regenerated: log in again");
  }
  if (!(await touchSession(deps, session.sid))) throw new AppError("unauthorized", "The session has ended");
  c.set("sid", session.sid);
  c.set("owner", {
    accountId: session.accountId,
    deliveryId: session.deliveryId,
    sourceIp: session.sourceIp,
    via: "sftp",
  });
  return next();
});

/**
 * The internal API for relays (bearer RELAY_TOKEN). Not in the public OpenAPI
 * document: its contract is `contracts/relay.ts`.
 */
export const relay = new Hono<RelayEnv>()
  .use("*", requireRelay)
  .post("/connections", async (c) => {
    const req = await body(c.req.raw, connectionCheckRequest);
    return c.json(await checkConnection(c.var.deps, req.sourceIp));
  })
  .post("/logins", async (c) => {
    const req = await body(c.req.raw, loginRequest);
    return c.json(await decideLogin(c.var.deps, req));
  })
  .use("/uploads/*", withSession)
  .use("/uploads", withSession)
  .use("/files", withSession)
  .use("/sessions/current", withSession)
  .delete("/sessions/current", async (c) => {
    await endSession(c.var.deps, c.var.sid);
    return c.body(null, 204);
  })
  .post("/uploads", async (c) => {
    const req = await body(c.req.raw, createUploadRequest);
    const created = await createUpload(c.var.deps, c.var.owner, req.name);
    return c.json({ ...created, partBytes: RELAY_LIMITS.partBytes }, 201);
  })
  .put("/uploads/:id/parts/:partNumber", async (c) => {
    const partNumber = Number(c.req.param("partNumber"));
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
      throw new AppError("bad_request", "Part numbers run from 1 to 10000");
    }
    const lengthHeader = c.req.header("content-length");
    if (lengthHeader === undefined) throw new AppError("bad_request", "A part needs a Content-Length");
    const length = Number(lengthHeader);
    if (!Number.isInteger(length) || length < 0) throw new AppError("bad_request", "Content-Length is not a number");
    if (length > RELAY_LIMITS.partBytes) {
      throw new AppError("payload_too_large", `A part is at most ${RELAY_LIMITS.partBytes} bytes`);
    }
    const stream = c.req.raw.body;
    const part = await uploadPart(
      c.var.deps,
      c.var.owner,
      c.req.param("id"),
      partNumber,
      length === 0 || !stream ? new ArrayBuffer(0) : stream,
    );
    return c.json(part);
  })
  .post("/uploads/:id/complete", async (c) => {
    const req = await body(c.req.raw, completeUploadRequest);
    return c.json(await completeUpload(c.var.deps, c.var.owner, c.req.param("id"), req));
  })
  .delete("/uploads/:id", async (c) => {
    await abortUpload(c.var.deps, c.var.owner, c.req.param("id"));
    return c.body(null, 204);
  })
  .use("/results", withSession)
  .use("/results/*", withSession)
  .get("/results", async (c) => c.json({ files: await listResults(c.var.deps, c.var.owner) }))
  .get("/results/:name", async (c) => {
    const body = await readResult(c.var.deps, c.var.owner, c.req.param("name"));
    const type = c.req.param("name").endsWith(".json") ? "application/json" : "text/csv; charset=utf-8";
    return c.body(body, 200, { "content-type": type, "cache-control": "no-store" });
  })
  .get("/files", async (c) => {
    return c.json({ files: await listRecentFiles(c.var.deps, c.var.owner) });
  });
