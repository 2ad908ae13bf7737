import { Hono } from "hono";
import type { AppEnv } from "../http/types.ts";

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sluice API</title>
<link rel="stylesheet" href="/vendor/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/vendor/swagger-ui/init.js"></script>
</body>
</html>
`;

/**
 * Interactive API docs for integrators: Swagger UI (from npm, served from this
 * origin by the static assets) over `/api/v1/openapi.json`.
 */
export const docs = new Hono<AppEnv>().get("/api/docs", (c) => {
  // Swagger UI sets inline styles and loads images as data: URLs; nothing leaves the origin.
  c.header(
    "content-security-policy",
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; object-src 'none'; base-uri 'self'",
  );
  return c.html(page);
});
