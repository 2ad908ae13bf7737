import { z } from "zod";

const secret = (name: string, minLength: number) =>
  z
    .string({ error: `${name} is not set` })
    .min(minLength, `${name} is too weak: it needs at least ${minLength} characters`)
    .refine((v) => new Set(v).size >= 8, `${name} is too weak: too few distinct characters`);

const configSchema = z
  .object({
    SLUICE_ENV: z.enum(["production", "development"]).default("production"),
    CREDENTIALS_KEY: secret("CREDENTIALS_KEY", 32),
    RELAY_TOKEN: secret("RELAY_TOKEN", 32),
    OPERATOR_TOKEN: secret("OPERATOR_TOKEN", 32),
    SETUP_TOKEN: secret("SETUP_TOKEN", 16).optional(),
    SFTP_PUBLIC_HOST: z.string().min(1).default("127.0.0.1"),
    SFTP_PUBLIC_PORT: z.coerce.number().int().min(1).max(65535).default(2222),
    EMAIL_SENDER: z.enum(["outbox", "cloudflare", "http"]).default("outbox"),
    EMAIL_FROM: z.string().min(3).default("Sluice <alerts@sluice.local>"),
    EMAIL_HTTP_URL: z.url().optional(),
    EMAIL_HTTP_KEY: z.string().min(8).optional(),
    /** Where admins reach the UI; used for links in emails. */
    PUBLIC_URL: z.url().default("http://127.0.0.1:8787"),
  })
  .refine((c) => c.SLUICE_ENV !== "production" || c.SETUP_TOKEN !== undefined, {
    message: "SETUP_TOKEN is not set: production needs it so that nobody else can run first-run setup",
  })
  .refine((c) => c.EMAIL_SENDER !== "http" || (c.EMAIL_HTTP_URL && c.EMAIL_HTTP_KEY), {
    message: "EMAIL_SENDER is http but EMAIL_HTTP_URL or EMAIL_HTTP_KEY is not set",
  });

export type Config = z.infer<typeof configSchema>;

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

const cache = new WeakMap<object, ConfigResult>();

/**
 * Reads and checks the Worker's configuration once per env object. A missing or
 * weak secret yields the names of the problems (for the log), never the values.
 */
export function loadConfig(env: Env): ConfigResult {
  const cached = cache.get(env);
  if (cached) return cached;
  const raw = env as unknown as Record<string, unknown>;
  const parsed = configSchema.safeParse({
    SLUICE_ENV: raw.SLUICE_ENV,
    CREDENTIALS_KEY: raw.CREDENTIALS_KEY,
    RELAY_TOKEN: raw.RELAY_TOKEN,
    OPERATOR_TOKEN: raw.OPERATOR_TOKEN,
    SETUP_TOKEN: raw.SETUP_TOKEN === "" ? undefined : raw.SETUP_TOKEN,
    SFTP_PUBLIC_HOST: raw.SFTP_PUBLIC_HOST,
    SFTP_PUBLIC_PORT: raw.SFTP_PUBLIC_PORT,
    EMAIL_SENDER: raw.EMAIL_SENDER,
    EMAIL_FROM: raw.EMAIL_FROM,
    EMAIL_HTTP_URL: raw.EMAIL_HTTP_URL || undefined,
    EMAIL_HTTP_KEY: raw.EMAIL_HTTP_KEY || undefined,
    PUBLIC_URL: raw.PUBLIC_URL,
  });
  const result: ConfigResult = parsed.success
    ? { ok: true, config: parsed.data }
    : { ok: false, problems: parsed.error.issues.map((i) => i.message) };
  cache.set(env, result);
  return result;
}
