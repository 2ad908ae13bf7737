import { createRoute, z } from "@hono/zod-openapi";
import { listPeople, listProjects } from "../domain/imports/directory.ts";
import { requireAuth } from "../http/auth.ts";
import { router } from "../http/types.ts";
import { json, problems } from "./schemas.ts";

const ListQuery = z.object({
  q: z
    .string()
    .max(200)
    .optional()
    .openapi({ description: "Contains (email, names, employee number / code, name, client)" }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(300).optional(),
});

const Person = z
  .object({
    id: z.string(),
    email: z.string(),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
    employeeNumber: z.string().nullable(),
    department: z.string().nullable(),
    costCentre: z.string().nullable(),
    approverEmail: z.string().nullable(),
    role: z.enum(["claimant", "approver", "finance", "admin"]),
    active: z.boolean(),
    leaveDate: z.string().nullable(),
    source: z.enum(["setup", "admin", "sync", "scim"]),
    updatedAt: z.number().int(),
  })
  .openapi("Person");

const Project = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    client: z.string().nullable(),
    active: z.boolean(),
    startDate: z.string().nullable(),
    endDate: z.string().nullable(),
    billable: z.boolean().nullable(),
    approverEmail: z.string().nullable(),
    updatedAt: z.number().int(),
  })
  .openapi("Project");

const base = router();
base.use("/people", requireAuth());
base.use("/projects", requireAuth());

/** What the syncs produced: searchable, paged lists of people and projects. */
export const people = base
  .openapi(
    createRoute({
      method: "get",
      path: "/people",
      tags: ["people"],
      summary: "The account's people, by email",
      request: { query: ListQuery },
      responses: {
        200: json(z.object({ people: z.array(Person), nextCursor: z.string().nullable() }), "A page of people"),
        ...problems(401, 422),
      },
    }),
    async (c) => c.json(await listPeople(c.var.deps, c.var.principal, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects",
      tags: ["projects"],
      summary: "The account's projects, by code",
      request: { query: ListQuery },
      responses: {
        200: json(z.object({ projects: z.array(Project), nextCursor: z.string().nullable() }), "A page of projects"),
        ...problems(401, 422),
      },
    }),
    async (c) => c.json(await listProjects(c.var.deps, c.var.principal, c.req.valid("query")), 200),
  );
