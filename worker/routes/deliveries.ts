import { createRoute, z } from "@hono/zod-openapi";
import {
  createDelivery,
  deleteDelivery,
  findDelivery,
  listDeliveries,
  regenerateCredentials,
  revealCredentials,
  updateDelivery,
  viewOf,
} from "../domain/deliveries/deliveries.ts";
import { requireAuth } from "../http/auth.ts";
import { router } from "../http/types.ts";
import { Credentials, Delivery, DeliveryKind, Email, IdParam, json, jsonBody, problems } from "./schemas.ts";

/** Expected File Frequency, checked as a whole so each error names its field. */
const ScheduleInput = z
  .strictObject({
    frequency: z.enum(["none", "hourly", "daily", "weekdays", "weekly", "monthly"]),
    day: z.number().int().nullable().optional().openapi({
      description: "Weekly: 0 = Sunday … 6 = Saturday. Monthly: 1–31 (29–31 fall back to the month's last day).",
    }),
    expectedBy: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time of day as HH:MM (24-hour)")
      .optional()
      .openapi({ example: "09:00", description: "In the account's time zone; for hourly only the minutes count" }),
    graceMinutes: z.number().int().min(0, "cannot be negative").max(10_080, "must be at most 7 days").default(0),
  })
  .superRefine((s, ctx) => {
    if (s.frequency !== "none" && s.expectedBy === undefined) {
      ctx.addIssue({ code: "custom", path: ["expectedBy"], message: `is required for ${s.frequency} files` });
    }
    if (s.frequency === "weekly" && (s.day == null || s.day < 0 || s.day > 6)) {
      ctx.addIssue({ code: "custom", path: ["day"], message: "weekly needs a day from 0 (Sunday) to 6 (Saturday)" });
    }
    if (s.frequency === "monthly" && (s.day == null || s.day < 1 || s.day > 31)) {
      ctx.addIssue({ code: "custom", path: ["day"], message: "monthly needs a day of the month from 1 to 31" });
    }
    if (s.frequency !== "weekly" && s.frequency !== "monthly" && s.day != null) {
      ctx.addIssue({
        code: "custom",
        path: ["day"],
        message: `a day is only used by weekly and monthly, not ${s.frequency}`,
      });
    }
  })
  .transform((s) => ({ ...s, day: s.day ?? null, expectedBy: s.expectedBy ?? null }))
  .openapi("Schedule");

const NewDelivery = z
  .strictObject({
    kind: DeliveryKind,
    name: z.string().trim().min(1).max(120).optional().openapi({ example: "Nightly HR export" }),
  })
  .openapi("NewDelivery");

const DeliveryPatch = z
  .strictObject({
    name: z.string().trim().min(1).max(120).optional(),
    status: z.enum(["enabled", "disabled"]).optional(),
    allowedIps: z
      .array(z.string().max(100))
      .max(200)
      .optional()
      .openapi({
        description: "Single addresses, hyphen ranges of one family, or CIDR; IPv4 or IPv6. Empty allows all.",
        example: ["203.0.113.7", "10.0.0.1-10.0.0.50", "2001:db8::/32"],
      }),
    syncMode: z.enum(["upsert", "full_sync"]).optional(),
    fullSyncThresholdPercent: z.number().int().min(0).max(100).optional(),
    notificationEmail: Email.nullable().optional(),
    schedule: ScheduleInput.optional(),
  })
  .openapi("DeliveryPatch");

const CreatedDelivery = z.object({ delivery: Delivery, credentials: Credentials }).openapi("CreatedDelivery");

const base = router();
base.use("/deliveries", requireAuth());
base.use("/deliveries/*", requireAuth());

export const deliveries = base
  .openapi(
    createRoute({
      method: "get",
      path: "/deliveries",
      tags: ["deliveries"],
      summary: "List inbound file deliveries",
      responses: {
        200: json(z.object({ deliveries: z.array(Delivery) }), "Deliveries, newest first"),
        ...problems(401),
      },
    }),
    async (c) => c.json({ deliveries: await listDeliveries(c.var.deps, c.var.principal) }, 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/deliveries",
      tags: ["deliveries"],
      summary: "Add an inbound delivery (User Sync or Project Sync)",
      description: "The delivery gets a unique SFTP username and a generated password at once.",
      request: { body: jsonBody(NewDelivery) },
      responses: { 201: json(CreatedDelivery, "Created, with its credentials"), ...problems(400, 401, 403, 422) },
    }),
    async (c) => c.json(await createDelivery(c.var.deps, c.var.principal, c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/deliveries/{id}",
      tags: ["deliveries"],
      summary: "One delivery",
      request: { params: IdParam },
      responses: { 200: json(Delivery, "The delivery"), ...problems(401, 404) },
    }),
    async (c) => {
      const deps = c.var.deps;
      const row = await findDelivery(deps, c.var.principal, c.req.valid("param").id);
      return c.json(await viewOf(deps, row), 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/deliveries/{id}",
      tags: ["deliveries"],
      summary: "Change a delivery's settings",
      request: { params: IdParam, body: jsonBody(DeliveryPatch) },
      responses: { 200: json(Delivery, "Updated"), ...problems(400, 401, 403, 404, 422) },
    }),
    async (c) =>
      c.json(await updateDelivery(c.var.deps, c.var.principal, c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/deliveries/{id}",
      tags: ["deliveries"],
      summary: "Delete a delivery (its logins stop at once; received files stay)",
      request: { params: IdParam },
      responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      await deleteDelivery(c.var.deps, c.var.principal, c.req.valid("param").id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/deliveries/{id}/credentials",
      tags: ["deliveries"],
      summary: "Reveal the SFTP connection details and password (audited)",
      request: { params: IdParam },
      responses: { 200: json(Credentials, "Connection details"), ...problems(401, 404) },
    }),
    async (c) => {
      c.header("cache-control", "no-store");
      return c.json(await revealCredentials(c.var.deps, c.var.principal, c.req.valid("param").id), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/deliveries/{id}/credentials",
      tags: ["deliveries"],
      summary: "Regenerate the SFTP password (the old one stops working at once)",
      request: { params: IdParam },
      responses: { 201: json(Credentials, "New connection details"), ...problems(401, 403, 404) },
    }),
    async (c) => {
      c.header("cache-control", "no-store");
      return c.json(await regenerateCredentials(c.var.deps, c.var.principal, c.req.valid("param").id), 201);
    },
  );
