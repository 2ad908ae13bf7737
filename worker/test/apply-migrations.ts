import { applyD1Migrations, env } from "cloudflare:test";

// The same migrations wrangler applies in dev and production, on each test file's empty D1.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
