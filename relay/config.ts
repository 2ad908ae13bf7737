/**
 * Relay configuration, read once from the environment and validated with zod so a bad value stops
 * the process at start with a message naming the variable, rather than failing on the first login.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import process from "node:process";
import { z } from "zod";
import { RelayError } from "./errors.ts";

const MiB = 1024 * 1024;

const integer = (fallback: number, min: number) => z.coerce.number().int().min(min).default(fallback);

const configSchema = z.object({
  WORKER_URL: z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, "")),
  RELAY_TOKEN: z.string().min(32, "must be at least 32 characters"),
  SFTP_HOST: z.string().min(1).default("127.0.0.1"),
  SFTP_PORT: integer(2222, 0).pipe(z.number().max(65535)),
  HOST_KEY_DIR: z.string().min(1).default("./.relay"),
  RELAY_ID: z
    .string()
    .min(1)
    .max(128)
    .default(() => `${hostname()}-${process.pid}`.slice(0, 128)),
  MAX_FILE_BYTES: integer(512 * MiB, 1),
  IDLE_TIMEOUT_MS: integer(10 * 60_000, 1000),
  LOGIN_GRACE_MS: integer(60_000, 1000),
  SHUTDOWN_GRACE_MS: integer(30_000, 0),
  PROXY_PROTOCOL: z.enum(["off", "v1", "v2", "any"]).default("off"),
  WRITE_WINDOW_BYTES: integer(8 * MiB, 256 * 1024),
  MAX_BUFFER_BYTES: integer(256 * MiB, MiB),
  WORKER_TIMEOUT_MS: integer(30_000, 100),
});

export type RelayConfig = z.infer<typeof configSchema>;
type Env = Record<string, string | undefined>;

/**
 * Parses a wrangler-style `.dev.vars` file (`KEY=VALUE`, `KEY="VALUE"`, `# comments`), so local
 * development shares RELAY_TOKEN with the Worker instead of keeping a second copy.
 */
export function parseDevVars(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    const key = match[1] as string;
    let value = (match[2] as string).trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, "\n").replace(/\\"/g, '"');
    }
    vars[key] = value;
  }
  return vars;
}

/**
 * Builds the config from `env`. With DEV_VARS set, RELAY_TOKEN comes from that file and WORKER_URL
 * too when the environment does not set it; an explicit RELAY_TOKEN in the environment still wins.
 */
export function loadConfig(
  env: Env = process.env,
  readFile: (path: string) => string = (p) => readFileSync(p, "utf8"),
): RelayConfig {
  const merged: Env = { ...env };
  if (env.DEV_VARS) {
    let devVars: Record<string, string>;
    try {
      devVars = parseDevVars(readFile(env.DEV_VARS));
    } catch (err) {
      throw new RelayError("invalid_config", `DEV_VARS: cannot read ${env.DEV_VARS}`, { cause: err });
    }
    merged.RELAY_TOKEN ??= devVars.RELAY_TOKEN;
    merged.WORKER_URL ??= devVars.WORKER_URL;
  }
  // An empty variable means "unset" (docker-compose and shells produce these), so defaults apply.
  for (const [key, value] of Object.entries(merged)) if (value === "") delete merged[key];

  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join(".") || "config";
      const message = merged[name] === undefined && issue.code === "invalid_type" ? "is required" : issue.message;
      return `${name} ${message}`;
    });
    throw new RelayError("invalid_config", `invalid relay configuration: ${problems.join("; ")}`);
  }
  return result.data;
}
