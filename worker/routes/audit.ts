import { createRoute, z } from "@hono/zod-openapi";
import { listAudit } from "../domain/audit-log.ts";
import { requireAuth } from "../http/auth.ts";
import { router } from "../http/types.ts";
import { json, problems } from "./schemas.ts";

const AuditEntry = z
  .object({
    id: z.string(),
    at: z.number().int(),
    actorType: z.string().openapi({ example: "admin" }),
    actorId: z.string().nullable(),
    action: z.string().openapi({ example: "delivery.credentials_revealed" }),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi("AuditEntry");

const base = router();
base.use("/audit", requireAuth());

export const audit = base.openapi(
  createRoute({
    method: "get",
    path: "/audit",
    tags: ["audit"],
    summary: "Who did what and when (admins, API keys, relays), newest first",
    request: {
      query: z.object({
        limit: z.coerce.number().int().min(1).max(500).default(100),
        before: z.coerce.number().int().optional().openapi({ description: "Page: `at` of the last entry seen" }),
      }),
    },
    responses: { 200: json(z.object({ entries: z.array(AuditEntry) }), "Entries"), ...problems(401) },
  }),
  async (c) => c.json({ entries: await listAudit(c.var.deps, c.var.principal.accountId, c.req.valid("query")) }, 200),
);
