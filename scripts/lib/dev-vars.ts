import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** The Worker secrets a local stack needs; each is 256 random bits, hex. */
export const SECRET_NAMES = ["CREDENTIALS_KEY", "RELAY_TOKEN", "OPERATOR_TOKEN"] as const;

export function parseDevVars(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = line.match(/^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/);
    if (!m?.[1]) continue;
    vars[m[1]] = (m[2] ?? "").replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
  }
  return vars;
}

/**
 * Makes sure `path` (wrangler's `.dev.vars` convention) holds every secret,
 * generating the missing ones. Existing values are kept so local data stays
 * readable across restarts (CREDENTIALS_KEY encrypts stored SFTP passwords).
 */
export function ensureDevVars(path: string, extra: Record<string, string> = {}): Record<string, string> {
  const vars = existsSync(path) ? parseDevVars(readFileSync(path, "utf8")) : {};
  let changed = !existsSync(path);
  for (const name of SECRET_NAMES) {
    if (!vars[name] || vars[name].length < 32) {
      vars[name] = randomBytes(32).toString("hex");
      changed = true;
    }
  }
  for (const [k, v] of Object.entries(extra)) {
    if (vars[k] !== v) {
      vars[k] = v;
      changed = true;
    }
  }
  if (changed) {
    const body = Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n");
    writeFileSync(path, `# Local secrets for wrangler dev and the relay. Never commit this file.\n${body}\n`, {
      mode: 0o600,
    });
  }
  return vars;
}
