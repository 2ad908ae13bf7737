import { createRoute, z } from "@hono/zod-openapi";
import { auditInsert } from "../domain/audit.ts";
import { listLoginAttempts } from "../domain/deliveries/login-attempts.ts";
import { addPublicKey, listPublicKeys, removePublicKey } from "../domain/deliveries/public-keys.ts";
import { liftAnyBan, liftBan, listBans } from "../domain/relay/ban-lifts.ts";
import { requireAuth, requireOperator } from "../http/auth.ts";
import { router } from "../http/types.ts";
import { IdParam, json, jsonBody, problems } from "./schemas.ts";

const PublicKey = z
  .object({
    id: z.string(),
    algorithm: z.string(),
    fingerprint: z.string().openapi({ example: "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s" }),
    comment: z.string().nullable(),
    createdAt: z.number().int(),
  })
  .openapi("PublicKey");

const LoginAttempt = z
  .object({
    id: z.string(),
    sourceIp: z.string(),
    method: z.string(),
    outcome: z.enum(["granted", "refused"]),
    reason: z.string().nullable().openapi({ example: "203.0.113.7 not in allowed IPs" }),
    createdAt: z.number().int(),
  })
  .openapi("LoginAttempt");

const Ban = z
  .object({
    subject: z.string().openapi({ example: "ip:203.0.113.7" }),
    kind: z.enum(["ip", "username"]),
    value: z.string(),
    level: z.number().int(),
    bannedUntil: z.number().int().nullable(),
    liftable: z.boolean().openapi({
      description:
        "Whether this account may lift the ban. An address also refused for other accounts is lifted by the operator, or ends by itself.",
    }),
  })
  .openapi("LoginBan");

const BanSubject = z.object({
  subject: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: "subject", in: "path" }, example: "ip:203.0.113.7" }),
});

const KeyParams = IdParam.extend({
  keyId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "keyId", in: "path" } }),
});

const base = router();
for (const path of ["/deliveries/*", "/login-bans", "/login-bans/*"]) base.use(path, requireAuth());

/** Who may log in to a delivery: registered public keys, recent login decisions, and bans. */
export const access = base
  .openapi(
    createRoute({
      method: "get",
      path: "/deliveries/{id}/public-keys",
      tags: ["deliveries"],
      summary: "SSH public keys that may log in to this delivery",
      request: { params: IdParam },
      responses: { 200: json(z.object({ publicKeys: z.array(PublicKey) }), "Keys"), ...problems(401, 404) },
    }),
    async (c) =>
      c.json({ publicKeys: await listPublicKeys(c.var.deps, c.var.principal, c.req.valid("param").id) }, 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/deliveries/{id}/public-keys",
      tags: ["deliveries"],
      summary: "Register an OpenSSH public key (one line of a .pub file)",
      request: {
        params: IdParam,
        body: jsonBody(
          z
            .strictObject({
              publicKey: z
                .string()
                .min(1)
                .max(16_384)
                .openapi({ example: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB… it@acme" }),
            })
            .openapi("NewPublicKey"),
        ),
      },
      responses: { 201: json(PublicKey, "Registered"), ...problems(401, 403, 404, 409, 422) },
    }),
    async (c) =>
      c.json(
        await addPublicKey(c.var.deps, c.var.principal, c.req.valid("param").id, c.req.valid("json").publicKey),
        201,
      ),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/deliveries/{id}/public-keys/{keyId}",
      tags: ["deliveries"],
      summary: "Remove a public key",
      request: { params: KeyParams },
      responses: { 204: { description: "Removed" }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      const { id, keyId } = c.req.valid("param");
      await removePublicKey(c.var.deps, c.var.principal, id, keyId);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/deliveries/{id}/login-attempts",
      tags: ["deliveries"],
      summary: "Recent SFTP logins with the real reason for each refusal",
      request: {
        params: IdParam,
        query: z.object({
          outcome: z.enum(["granted", "refused"]).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
        }),
      },
      responses: {
        200: json(z.object({ loginAttempts: z.array(LoginAttempt) }), "Newest first"),
        ...problems(401, 404),
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const attempts = await listLoginAttempts(c.var.deps, c.var.principal, c.req.valid("param").id, query);
      return c.json({ loginAttempts: attempts }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/login-bans",
      tags: ["deliveries"],
      summary: "Active SFTP login bans that concern this account",
      description:
        "Bans on this account's usernames, and on addresses whose failed logins that led to the ban include this account's deliveries. " +
        "Other accounts' attempts are never shown.",
      responses: { 200: json(z.object({ bans: z.array(Ban) }), "Active bans"), ...problems(401) },
    }),
    async (c) => {
      const bans = await listBans(c.var.deps, c.var.principal.accountId);
      return c.json({ bans }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/login-bans/{subject}",
      tags: ["deliveries"],
      summary: "Lift a ban",
      description:
        "A username ban can be lifted by the account the username belongs to. An address ban applies to every account " +
        "(the relay refuses the address before it knows the account), so an account may lift it only when every failed " +
        "login that led to it, within the ban's counting window, was against this account's own deliveries; otherwise the " +
        "answer is 403 and the ban is lifted by the operator or ends by itself at `bannedUntil`. Lifting takes back this " +
        "ban's step up in length; earlier bans still lengthen the next one.",
      request: { params: BanSubject },
      responses: { 204: { description: "Lifted" }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      const deps = c.var.deps;
      const { subject } = c.req.valid("param");
      await liftBan(deps, c.var.principal.accountId, subject);
      await auditInsert(deps, c.var.principal, "login_ban.lifted", { type: "login_ban", id: subject });
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/operator/login-bans/{subject}",
      tags: ["deliveries"],
      summary: "Lift any ban (operator)",
      description:
        "Requires `Authorization: Bearer <OPERATOR_TOKEN>`. Lifts an address or username ban whichever accounts it concerns, " +
        "and resets its escalation; each account concerned sees the lift in its audit log.",
      security: [{ operatorToken: [] }],
      middleware: [requireOperator] as const,
      request: { params: BanSubject },
      responses: { 204: { description: "Lifted" }, ...problems(401, 404) },
    }),
    async (c) => {
      await liftAnyBan(c.var.deps, c.req.valid("param").subject);
      return c.body(null, 204);
    },
  );
