import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";
import { depsFromEnv } from "./deps-from-env.ts";
import { AppError } from "./errors.ts";
import { onError, problemResponse } from "./http/problem.ts";
import { type AppEnv, router } from "./http/types.ts";
import { access } from "./routes/access.ts";
import { apiKeys } from "./routes/api-keys.ts";
import { audit } from "./routes/audit.ts";
import { deliveries } from "./routes/deliveries.ts";
import { dev } from "./routes/dev.ts";
import { devBench } from "./routes/dev-bench.ts";
import { docs } from "./routes/docs.ts";
import { files } from "./routes/files.ts";
import { health } from "./routes/health.ts";
import { imports } from "./routes/imports.ts";
import { outbox } from "./routes/outbox.ts";
import { people } from "./routes/people.ts";
import { relay } from "./routes/relay.ts";
import { scim } from "./routes/scim.ts";
import { sessions } from "./routes/sessions.ts";
import { setup } from "./routes/setup.ts";
import { specifications } from "./routes/specifications.ts";
import { webhooks } from "./routes/webhooks.ts";

/** JSON bodies of the API are small; file uploads get their own limit on their own route. */
export const JSON_BODY_LIMIT = 64 * 1024;

/** Every request gets the domain dependencies (and fails clearly when misconfigured). */
const withDeps = createMiddleware<AppEnv>(async (c, next) => {
  c.set("deps", depsFromEnv(c.env));
  await next();
});

const api = router();
/** File uploads stream their bodies into R2 and have their own limit. */
const isFileUpload = (method: string, path: string) =>
  method === "POST" && /^\/api\/v1\/deliveries\/[^/]+\/files$/.test(path);
const jsonLimit = bodyLimit({
  maxSize: JSON_BODY_LIMIT,
  onError: () =>
    problemResponse(new AppError("payload_too_large", `Request bodies are limited to ${JSON_BODY_LIMIT / 1024} KiB`)),
});
api.use("*", (c, next) => (isFileUpload(c.req.method, c.req.path) ? next() : jsonLimit(c, next)));
const apiRoutes = api
  .route("/", setup)
  .route("/", sessions)
  .route("/", apiKeys)
  .route("/", deliveries)
  .route("/", access)
  .route("/", files)
  .route("/", outbox)
  .route("/", audit)
  .route("/", imports)
  .route("/", people)
  .route("/", specifications)
  .route("/", webhooks);

api.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
  type: "http",
  scheme: "bearer",
  description: "An API key (`slk_…`) created under API keys",
});
api.openAPIRegistry.registerComponent("securitySchemes", "session", {
  type: "apiKey",
  in: "cookie",
  name: "sluice_session",
  description: "Admin session cookie; writes also need the `X-CSRF-Token` header",
});
api.openAPIRegistry.registerComponent("securitySchemes", "operatorToken", {
  type: "http",
  scheme: "bearer",
  description: "The deployment's OPERATOR_TOKEN secret",
});

api.doc31("/openapi.json", {
  openapi: "3.1.0",
  info: {
    title: "Sluice API",
    version: "1.0.0",
    description:
      "Inbound file delivery: configure SFTP/HTTPS deliveries of user and project CSV files, and read what was imported. Errors are `application/problem+json` with a stable `code`.",
  },
  servers: [{ url: "/api/v1" }],
  security: [{ apiKey: [] }, { session: [] }],
});

const strictHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    frameAncestors: ["'none'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
  },
});
/** The docs page needs Swagger UI's inline styles: it sets its own, slightly wider policy. */
const docsHeaders = secureHeaders({ contentSecurityPolicy: undefined });

const root = router();
root.use("*", (c, next) => (c.req.path === "/api/docs" ? docsHeaders(c, next) : strictHeaders(c, next)));
root.use("*", withDeps);

export const app = root
  .route("/", health)
  .route("/", dev)
  .route("/", devBench)
  .route("/", docs)
  .route("/api/v1", apiRoutes)
  .route("/relay/v1", relay)
  .route("/scim/v2", scim);

app.notFound(() => problemResponse(new AppError("not_found", "No such route")));
app.onError(onError);

export type AppType = typeof app;
