import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import {
  MAX_RESULTS,
  schemaDocuments,
  serviceProviderConfig,
  URN,
  userResourceType,
} from "../domain/scim/discovery.ts";
import { invalidValue, ScimError } from "../domain/scim/errors.ts";
import { createUser, deactivateUser, getUser, listUsers, patchUser, replaceUser } from "../domain/scim/users.ts";
import { AppError } from "../errors.ts";
import { requireAuth } from "../http/auth.ts";
import { toAppError } from "../http/problem.ts";
import type { AppEnv } from "../http/types.ts";

/**
 * SCIM 2.0 (RFC 7643/7644) at `/scim/v2`, for identity providers: Users over the
 * account's people, with a bearer API key that has the `scim` scope. This is the
 * one place that turns errors into SCIM error bodies, and every response is
 * `application/scim+json`.
 */

export const SCIM_CONTENT_TYPE = "application/scim+json";
/** Same bound as the JSON API: a User resource or a PatchOp is a few KiB at most. */
export const SCIM_BODY_LIMIT = 64 * 1024;
const DEFAULT_COUNT = 100;

function scimJson(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": SCIM_CONTENT_TYPE, ...headers },
  });
}

function scimErrorResponse(status: number, detail: string, scimType?: string): Response {
  const body = { schemas: [URN.error], status: String(status), ...(scimType ? { scimType } : {}), detail };
  return scimJson(body, status, status === 401 ? { "www-authenticate": 'Bearer realm="sluice"' } : {});
}

/** `ScimError`s keep their `scimType`; other `AppError`s get the nearest one, or none. */
function onScimError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof ScimError) return scimErrorResponse(err.status, err.message, err.scimType);
  const e = toAppError(err);
  if (e.status >= 500) console.error(`${c.req.method} ${new URL(c.req.url).pathname} failed:`, err);
  switch (e.code) {
    case "validation_failed":
      return scimErrorResponse(400, e.message, "invalidValue");
    case "malformed_json":
      return scimErrorResponse(400, e.message, "invalidSyntax");
    case "conflict":
      return scimErrorResponse(409, e.message, "uniqueness");
    default:
      return scimErrorResponse(e.status, e.message);
  }
}

/** Only bearer keys: an admin's browser session is not a provisioning client. */
const scimAuth = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.header("authorization") === undefined) {
    throw new AppError("unauthorized", "Send an API key with the SCIM scope as a bearer token");
  }
  return requireAuth("scim")(c, next);
});

const limit = bodyLimit({
  maxSize: SCIM_BODY_LIMIT,
  onError: () => scimErrorResponse(413, `Request bodies are limited to ${SCIM_BODY_LIMIT / 1024} KiB`),
});

/** The request body as JSON, from `application/scim+json` or `application/json` (or no type at all). */
async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type !== "" && type !== SCIM_CONTENT_TYPE && type !== "application/json") {
    throw new AppError("unsupported_media_type", `Send ${SCIM_CONTENT_TYPE} or application/json, not ${type}`);
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new ScimError("invalidSyntax", "The request body is not valid JSON");
  }
}

function intParam(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined || raw.trim() === "") return fallback;
  if (!/^\s*-?\d{1,9}\s*$/.test(raw)) throw invalidValue(`${name} must be an integer`);
  return Number(raw);
}

const baseOf = (c: Context<AppEnv>) => `${new URL(c.req.url).origin}/scim/v2`;

const listOf = (resources: unknown[]) => ({
  schemas: [URN.listResponse],
  totalResults: resources.length,
  itemsPerPage: resources.length,
  startIndex: 1,
  Resources: resources,
});

export const scim = new Hono<AppEnv>();
scim.onError(onScimError);
scim.use("*", limit);
scim.use("/Users", scimAuth);
scim.use("/Users/*", scimAuth);

scim
  .get("/ServiceProviderConfig", (c) => scimJson(serviceProviderConfig(baseOf(c))))
  .get("/ResourceTypes", (c) => scimJson(listOf([userResourceType(baseOf(c))])))
  .get("/ResourceTypes/User", (c) => scimJson(userResourceType(baseOf(c))))
  .get("/Schemas", (c) => scimJson(listOf(schemaDocuments(baseOf(c)))))
  .get("/Schemas/:id", (c) => {
    const doc = schemaDocuments(baseOf(c)).find((s) => s.id.toLowerCase() === c.req.param("id").toLowerCase());
    if (!doc) throw new AppError("not_found", "No such schema");
    return scimJson(doc);
  })
  .get("/Users", async (c) => {
    const startIndex = Math.max(1, intParam(c.req.query("startIndex"), "startIndex", 1));
    const count = intParam(c.req.query("count"), "count", DEFAULT_COUNT);
    const filter = c.req.query("filter");
    const page = await listUsers(c.var.deps, c.var.principal, baseOf(c), {
      filter: filter?.trim() ? filter : undefined,
      startIndex,
      count: Math.min(count, MAX_RESULTS),
    });
    return scimJson(page);
  })
  .post("/Users", async (c) => {
    const user = await createUser(c.var.deps, c.var.principal, baseOf(c), await readJson(c));
    return scimJson(user, 201, { location: user.meta.location });
  })
  .get("/Users/:id", async (c) => scimJson(await getUser(c.var.deps, c.var.principal, baseOf(c), c.req.param("id"))))
  .put("/Users/:id", async (c) =>
    scimJson(await replaceUser(c.var.deps, c.var.principal, baseOf(c), c.req.param("id"), await readJson(c))),
  )
  .patch("/Users/:id", async (c) =>
    scimJson(await patchUser(c.var.deps, c.var.principal, baseOf(c), c.req.param("id"), await readJson(c))),
  )
  .delete("/Users/:id", async (c) => {
    await deactivateUser(c.var.deps, c.var.principal, baseOf(c), c.req.param("id"));
    return c.body(null, 204);
  })
  .all("*", (c) => {
    throw new AppError("not_found", `${c.req.method} ${new URL(c.req.url).pathname} is not a SCIM endpoint here`);
  });
