import { createRoute, z } from "@hono/zod-openapi";
import { columnTables } from "../domain/imports/registry.ts";
import { specification, specificationHtml, templateCsv } from "../domain/imports/specification.ts";
import { router } from "../http/types.ts";
import { problems } from "./schemas.ts";

const KindParam = z.object({
  kind: z.enum(["users", "projects"]).openapi({ param: { name: "kind", in: "path" }, example: "users" }),
});

const Specification = z
  .object({
    kind: z.enum(["users", "projects"]),
    title: z.string(),
    deliveryKind: z.enum(["user_sync", "project_sync"]),
    fileRules: z.array(z.string()),
    columns: z.array(
      z.object({
        header: z.string(),
        aliases: z.array(z.string()),
        matchedAs: z.string(),
        type: z.enum(["email", "text", "date", "boolean", "choice"]),
        typeDescription: z.string(),
        key: z.boolean(),
        required: z.boolean(),
        requiredWhenNew: z.boolean(),
        maxLength: z.number().int(),
        values: z.array(z.string()).nullable(),
        blankCell: z.string(),
        description: z.string(),
        example: z.string(),
      }),
    ),
    notes: z.array(z.string()),
  })
  .openapi("ImportSpecification");

/**
 * The Import Specifications and templates. Public on purpose: they hold no
 * account data, and admins forward the link to their IT teams.
 */
export const specifications = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/specifications/{kind}",
      tags: ["specifications"],
      summary: "The User or Project Import Specification (JSON, or HTML with Accept: text/html or ?format=html)",
      security: [],
      request: { params: KindParam, query: z.object({ format: z.enum(["json", "html"]).optional() }) },
      responses: {
        200: {
          description: "The specification",
          content: { "application/json": { schema: Specification }, "text/html": { schema: z.string() } },
        },
        ...problems(404, 422),
      },
    }),
    async (c) => {
      const { kind } = c.req.valid("param");
      const table = columnTables[kind];
      const format = c.req.valid("query").format;
      const wantsHtml = format === "html" || (format === undefined && /text\/html/.test(c.req.header("accept") ?? ""));
      c.header("vary", "accept");
      if (wantsHtml) return c.html(specificationHtml(table, `./${kind}/template.csv`), 200);
      return c.json(specification(table), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/specifications/{kind}/template.csv",
      tags: ["specifications"],
      summary: "A template CSV: the header and example rows",
      security: [],
      request: { params: KindParam },
      responses: {
        200: { description: "The template", content: { "text/csv": { schema: z.string() } } },
        ...problems(404, 422),
      },
    }),
    async (c) => {
      const { kind } = c.req.valid("param");
      return c.body(templateCsv(columnTables[kind]), 200, {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="sluice-${kind}-template.csv"`,
      });
    },
  );
