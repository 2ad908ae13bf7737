import { createRoute, z } from "@hono/zod-openapi";
import { router } from "../http/types.ts";
import { json } from "./schemas.ts";

const Health = z.object({ status: z.literal("ok"), time: z.string() }).openapi("Health");

export const health = router().openapi(
  createRoute({
    method: "get",
    path: "/healthz",
    tags: ["system"],
    summary: "Liveness and database check",
    responses: { 200: json(Health, "The Worker and its database answer") },
  }),
  async (c) => {
    await c.env.DB.prepare("select 1").first();
    return c.json({ status: "ok" as const, time: new Date(c.var.deps.now()).toISOString() }, 200);
  },
);
