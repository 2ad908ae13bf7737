import { createRoute, z } from "@hono/zod-openapi";
import { createAccount, isSetupDone, runSetup } from "../domain/auth/accounts.ts";
import { requireOperator } from "../http/auth.ts";
import { router } from "../http/types.ts";
import { CreatedAccount, json, jsonBody, NewAccount, problems } from "./schemas.ts";

const SetupStatus = z.object({ needed: z.boolean(), tokenRequired: z.boolean() }).openapi("SetupStatus");

export const setup = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/setup",
      tags: ["setup"],
      summary: "Whether first-run setup is still open",
      responses: { 200: json(SetupStatus, "Setup state") },
    }),
    async (c) => {
      const deps = c.var.deps;
      return c.json({ needed: !(await isSetupDone(deps)), tokenRequired: deps.config.SETUP_TOKEN !== undefined }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/setup",
      tags: ["setup"],
      summary: "First-run setup: create the first account and its admin",
      description:
        "Only while no account exists. When the SETUP_TOKEN secret is configured, `setupToken` must match it.",
      request: {
        body: jsonBody(NewAccount.extend({ setupToken: z.string().max(256).optional() }).openapi("SetupRequest")),
      },
      responses: { 201: json(CreatedAccount, "Account and admin created"), ...problems(400, 403, 409, 422) },
    }),
    async (c) => c.json(await runSetup(c.var.deps, c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/accounts",
      tags: ["setup"],
      summary: "Create another account (tenant) with its first admin",
      description: "Requires `Authorization: Bearer <OPERATOR_TOKEN>`.",
      security: [{ operatorToken: [] }],
      middleware: [requireOperator] as const,
      request: { body: jsonBody(NewAccount) },
      responses: { 201: json(CreatedAccount, "Account and admin created"), ...problems(400, 401, 422) },
    }),
    async (c) => c.json(await createAccount(c.var.deps, c.req.valid("json")), 201),
  );
