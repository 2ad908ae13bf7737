import { z } from "@hono/zod-openapi";
import { isValidTimeZone } from "../domain/auth/accounts.ts";
import { MIN_PASSWORD_LENGTH } from "../domain/crypto/passwords.ts";

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");

const problemContent = { "application/problem+json": { schema: Problem } };

/** The error responses a route can give, for the OpenAPI document. */
export function problems(...statuses: (400 | 401 | 403 | 404 | 409 | 413 | 422 | 429)[]) {
  const descriptions: Record<number, string> = {
    400: "Malformed request",
    401: "Not authenticated",
    403: "Forbidden or CSRF check failed",
    404: "Not found (also for another account's resources)",
    409: "Conflict",
    413: "Body too large",
    422: "Validation failed; `errors` lists each field",
    429: "Too many requests",
  };
  return Object.fromEntries(statuses.map((s) => [s, { description: descriptions[s], content: problemContent }]));
}

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const Email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ error: "must be an email address" }));

export const NewPassword = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(256, "must be at most 256 characters");

export const TimeZone = z
  .string()
  .min(1)
  .max(64)
  .refine(isValidTimeZone, "must be an IANA time zone such as Europe/London")
  .openapi({ example: "Europe/London" });

export const NewAccount = z
  .strictObject({
    accountName: z.string().trim().min(1).max(120).openapi({ example: "Acme Ltd" }),
    timeZone: TimeZone,
    admin: z.strictObject({
      email: Email.openapi({ example: "it.admin@acme.example" }),
      firstName: z.string().trim().min(1).max(100),
      lastName: z.string().trim().min(1).max(100),
      password: NewPassword,
    }),
  })
  .openapi("NewAccount");

export const CreatedAccount = z
  .object({
    account: z.object({ id: z.string(), name: z.string(), timeZone: z.string() }),
    admin: z.object({ id: z.string(), email: z.string() }),
  })
  .openapi("CreatedAccount");

export const IdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
});

export const DeliveryKind = z.enum(["user_sync", "project_sync"]).openapi({ example: "user_sync" });

export const Delivery = z
  .object({
    id: z.string(),
    kind: DeliveryKind,
    name: z.string(),
    status: z.enum(["enabled", "disabled"]),
    sftp: z.object({ host: z.string(), port: z.number().int(), url: z.string(), username: z.string() }),
    allowedIps: z.array(z.string()),
    syncMode: z.enum(["upsert", "full_sync"]),
    fullSyncThresholdPercent: z.number().int(),
    notificationEmail: z.string().nullable(),
    schedule: z.object({
      frequency: z.enum(["none", "hourly", "daily", "weekdays", "weekly", "monthly"]),
      day: z.number().int().nullable(),
      expectedBy: z.string().nullable(),
      graceMinutes: z.number().int(),
      timeZone: z.string(),
    }),
    nextExpectedBy: z.number().int().nullable().openapi({ description: "Deadline of the watched window (epoch ms)" }),
    lastReceivedAt: z.number().int().nullable(),
    overdue: z.boolean(),
    overdueSince: z.number().int().nullable(),
    credentialsRotatedAt: z.number().int(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi("Delivery");

export const Credentials = z
  .object({
    sftpUrl: z.string().openapi({ example: "sftp://sftp.example.com:2222" }),
    host: z.string(),
    port: z.number().int(),
    username: z.string(),
    password: z.string(),
    rotatedAt: z.number().int(),
  })
  .openapi("Credentials");
