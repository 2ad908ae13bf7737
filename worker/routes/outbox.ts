import { createRoute, z } from "@hono/zod-openapi";
import { listOutbox } from "../domain/email/outbox.ts";
import { requireAuth } from "../http/auth.ts";
import { router } from "../http/types.ts";
import { json, problems } from "./schemas.ts";

const OutboxEmail = z
  .object({
    id: z.string(),
    to: z.string(),
    subject: z.string(),
    text: z.string(),
    html: z.string().nullable(),
    kind: z.string().openapi({ example: "delivery_missed" }),
    status: z.enum(["pending", "sending", "sent", "failed"]),
    attempts: z.number().int(),
    error: z.string().nullable(),
    createdAt: z.number().int(),
    sentAt: z.number().int().nullable(),
  })
  .openapi("OutboxEmail");

const base = router();
base.use("/outbox", requireAuth());

/** Every email the account was sent, with its delivery state; with the local sender, the mailbox itself. */
export const outbox = base.openapi(
  createRoute({
    method: "get",
    path: "/outbox",
    tags: ["email"],
    summary: "Emails sent to this account's admins, newest first",
    request: {
      query: z.object({
        limit: z.coerce.number().int().min(1).max(200).default(50),
        before: z.coerce.number().int().optional().openapi({ description: "Page: createdAt of the last email seen" }),
      }),
    },
    responses: { 200: json(z.object({ emails: z.array(OutboxEmail) }), "Emails"), ...problems(401) },
  }),
  async (c) => c.json({ emails: await listOutbox(c.var.deps, c.var.principal.accountId, c.req.valid("query")) }, 200),
);
