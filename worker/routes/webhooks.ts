import { createRoute, z } from "@hono/zod-openapi";
import {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  rotateSecret,
  sendTestEvent,
  updateEndpoint,
} from "../domain/webhooks/endpoints.ts";
import { webhookEventTypes } from "../domain/webhooks/events.ts";
import { requireAuth } from "../http/auth.ts";
import { router } from "../http/types.ts";
import { IdParam, json, jsonBody, problems } from "./schemas.ts";

/** How receivers verify a delivery; shown in the API docs (and the README). */
export const VERIFY_SNIPPET = `\`\`\`js
import { createHmac, timingSafeEqual } from "node:crypto";

// rawBody: the request body exactly as received (before JSON parsing).
// header: the Sluice-Signature header. secret: your endpoint's whsec_… secret.
export function verifySluiceSignature(rawBody, header, secret, toleranceSeconds = 300) {
  const parts = header.split(",").map((p) => p.trim().split("="));
  const t = Number(parts.find(([k]) => k === "t")?.[1]);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  const expected = createHmac("sha256", secret).update(\`\${t}.\${rawBody}\`).digest();
  return parts.some(([k, v]) => {
    if (k !== "v1" || !v) return false;
    const given = Buffer.from(v, "hex");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
\`\`\``;

const SIGNING = `Every delivery is a \`POST\` with a JSON body \`{id, type, createdAt, accountId, data}\` and the headers
\`Sluice-Event-Id\`, \`Sluice-Event-Type\` and \`Sluice-Signature: t=<unix seconds>,v1=<hex>\`, where \`v1\` is
HMAC-SHA256, keyed with the endpoint's whole secret (\`whsec_…\`), of \`<t>.<raw body>\`. During the 24 hours after
a secret rotation there are two \`v1\` values (new secret, then previous): accept the request if any matches.
Reject timestamps more than 5 minutes old. Answer 2xx within 10 seconds; anything else (redirects included) is
retried with backoff (30 s, 1 min, 2 min … about an hour in all) and then marked failed. Use \`Sluice-Event-Id\`
to ignore duplicates. Verifying in Node:

${VERIFY_SNIPPET}`;

const EventType = z.enum(webhookEventTypes).openapi({ example: "import.applied" });

const WebhookEndpoint = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(EventType),
    status: z.enum(["enabled", "disabled"]),
    previousSecretExpiresAt: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Until when (epoch ms) the previous secret still signs, after a rotation" }),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi("WebhookEndpoint");

const WithSecret = WebhookEndpoint.extend({
  secret: z.string().openapi({ description: "The signing secret, shown only in this response", example: "whsec_…" }),
}).openapi("WebhookEndpointWithSecret");

const Url = z.string().trim().min(1).max(2048).openapi({ example: "https://hooks.acme.example/sluice" });
const Events = z
  .array(EventType)
  .min(1, "subscribe to at least one event")
  .max(webhookEventTypes.length * 2);
const Description = z.string().trim().max(500);

const NewWebhookEndpoint = z
  .strictObject({ url: Url, events: Events, description: Description.optional() })
  .openapi("NewWebhookEndpoint");

const WebhookEndpointPatch = z
  .strictObject({
    url: Url.optional(),
    events: Events.optional(),
    description: Description.nullable().optional(),
    status: z.enum(["enabled", "disabled"]).optional(),
  })
  .openapi("WebhookEndpointPatch");

const WebhookDelivery = z
  .object({
    id: z.string(),
    eventId: z.string(),
    eventType: z.string().openapi({ example: "file.received" }),
    status: z.enum(["pending", "sending", "delivered", "failed"]),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.number().int(),
    deliveredAt: z.number().int().nullable(),
  })
  .openapi("WebhookDelivery");

const tags = ["webhooks"];
const base = router();
base.use("/webhooks", requireAuth());
base.use("/webhooks/*", requireAuth());

/** Webhook endpoints of the caller's account, their secrets and delivery logs. */
export const webhooks = base
  .openapi(
    createRoute({
      method: "post",
      path: "/webhooks",
      tags,
      summary: "Add a webhook endpoint (its signing secret is shown only in this response)",
      description: `Subscribes an HTTPS URL to events: ${webhookEventTypes.map((t) => `\`${t}\``).join(", ")}.\n\n${SIGNING}`,
      request: { body: jsonBody(NewWebhookEndpoint) },
      responses: { 201: json(WithSecret, "The new endpoint and its secret"), ...problems(400, 401, 403, 409, 422) },
    }),
    async (c) => {
      c.header("cache-control", "no-store");
      return c.json(await createEndpoint(c.var.deps, c.var.principal, c.req.valid("json")), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/webhooks",
      tags,
      summary: "List this account's webhook endpoints",
      responses: {
        200: json(z.object({ webhooks: z.array(WebhookEndpoint) }), "Endpoints, newest first"),
        ...problems(401),
      },
    }),
    async (c) => c.json({ webhooks: await listEndpoints(c.var.deps, c.var.principal) }, 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/webhooks/{id}",
      tags,
      summary: "A webhook endpoint",
      request: { params: IdParam },
      responses: { 200: json(WebhookEndpoint, "The endpoint"), ...problems(401, 404) },
    }),
    async (c) => c.json(await getEndpoint(c.var.deps, c.var.principal, c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/webhooks/{id}",
      tags,
      summary: "Change a webhook endpoint's URL, events, description or status",
      request: { params: IdParam, body: jsonBody(WebhookEndpointPatch) },
      responses: { 200: json(WebhookEndpoint, "The endpoint"), ...problems(400, 401, 403, 404, 422) },
    }),
    async (c) =>
      c.json(await updateEndpoint(c.var.deps, c.var.principal, c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/webhooks/{id}",
      tags,
      summary: "Delete a webhook endpoint and its delivery log",
      request: { params: IdParam },
      responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      await deleteEndpoint(c.var.deps, c.var.principal, c.req.valid("param").id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/webhooks/{id}/rotate-secret",
      tags,
      summary: "Rotate the signing secret (the previous one keeps signing for 24 hours)",
      description:
        "Returns the new secret once. For 24 hours every delivery carries two `v1` signatures, one per secret, so the receiver can switch over without dropping a delivery. Rotating again within those 24 hours drops the oldest secret at once.",
      request: { params: IdParam },
      responses: { 201: json(WithSecret, "The endpoint and its new secret"), ...problems(401, 403, 404, 409) },
    }),
    async (c) => {
      c.header("cache-control", "no-store");
      return c.json(await rotateSecret(c.var.deps, c.var.principal, c.req.valid("param").id), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/webhooks/{id}/deliveries",
      tags,
      summary: "The endpoint's delivery log, newest first",
      request: {
        params: IdParam,
        query: z.object({
          limit: z.coerce.number().int().min(1).max(200).default(50),
          before: z.coerce
            .number()
            .int()
            .optional()
            .openapi({ description: "Page: createdAt of the last delivery seen" }),
        }),
      },
      responses: {
        200: json(z.object({ deliveries: z.array(WebhookDelivery) }), "Deliveries"),
        ...problems(401, 404, 422),
      },
    }),
    async (c) =>
      c.json(
        {
          deliveries: await listDeliveries(c.var.deps, c.var.principal, c.req.valid("param").id, c.req.valid("query")),
        },
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/webhooks/{id}/test",
      tags,
      summary: "Send a `ping` event to the endpoint",
      description: "Queued like any event: watch its result in the delivery log.",
      request: { params: IdParam },
      responses: { 202: json(WebhookDelivery, "The queued delivery"), ...problems(401, 403, 404, 409) },
    }),
    async (c) => c.json(await sendTestEvent(c.var.deps, c.var.principal, c.req.valid("param").id), 202),
  );
