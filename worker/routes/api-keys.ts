import { createRoute, z } from "@hono/zod-openapi";
import { apiKeyScopes, createApiKey, listApiKeys, revokeApiKey } from "../domain/auth/api-keys.ts";
import { requireAuth } from "../http/auth.ts";
import { router } from "../http/types.ts";
import { IdParam, json, jsonBody, problems } from "./schemas.ts";

const ApiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.string()),
    createdAt: z.number().int(),
    lastUsedAt: z.number().int().nullable(),
    revokedAt: z.number().int().nullable(),
  })
  .openapi("ApiKey");

const NewApiKey = z
  .strictObject({
    name: z.string().trim().min(1).max(100).openapi({ example: "HR system nightly export" }),
    scopes: z.array(z.enum(apiKeyScopes)).min(1).default(["api"]),
  })
  .openapi("NewApiKey");

const base = router();
base.use("/api-keys", requireAuth());
base.use("/api-keys/*", requireAuth());

export const apiKeys = base
  .openapi(
    createRoute({
      method: "post",
      path: "/api-keys",
      tags: ["api keys"],
      summary: "Create an API key (the key is shown only in this response)",
      request: { body: jsonBody(NewApiKey) },
      responses: {
        201: json(ApiKey.extend({ key: z.string() }).openapi("CreatedApiKey"), "The new key"),
        ...problems(400, 401, 403, 422),
      },
    }),
    async (c) => c.json(await createApiKey(c.var.deps, c.var.principal, c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/api-keys",
      tags: ["api keys"],
      summary: "List this account's API keys",
      responses: { 200: json(z.object({ apiKeys: z.array(ApiKey) }), "Keys, newest first"), ...problems(401) },
    }),
    async (c) => c.json({ apiKeys: await listApiKeys(c.var.deps, c.var.principal) }, 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/api-keys/{id}",
      tags: ["api keys"],
      summary: "Revoke an API key",
      request: { params: IdParam },
      responses: { 204: { description: "Revoked" }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      await revokeApiKey(c.var.deps, c.var.principal, c.req.valid("param").id);
      return c.body(null, 204);
    },
  );
