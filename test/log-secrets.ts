/**
 * Searches what the Worker (`wrangler dev`) and the relay printed for secrets: the exact values a
 * test handled, and the shapes of every kind of credential Sluice issues, so a secret the test
 * never saw (another admin's session, the relay's own session tokens) is caught as well.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Every credential Sluice hands out has a recognisable form. */
export const SECRET_SHAPES: Record<string, RegExp> = {
  "an API key": /slk_[a-z2-9]{40}/,
  "a webhook signing secret": /whsec_[A-Za-z0-9_-]{43}/,
  // A relay session is base64url JSON that starts `{"sid":`.
  "a relay session": /eyJzaWQiOi[A-Za-z0-9_-]{16,}/,
  "private key material": /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
};

/** A secret's value, shortened for a failure message: enough to recognise, not enough to use. */
const hint = (value: string) => `${value.slice(0, 4)}…(${value.length} chars)`;

/**
 * The names of the secrets found in `logs`, with where they occur. `secrets` maps a name to a
 * value; an empty value is a mistake in the test (it would match nothing), so it is reported too.
 */
export function secretsInLogs(logs: string, secrets: Record<string, string | undefined>): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(secrets)) {
    if (!value || value.length < 8) {
      found.push(`${name}: no value to look for (${JSON.stringify(value)})`);
      continue;
    }
    const at = logs.indexOf(value);
    if (at >= 0) {
      const line = logs.slice(logs.lastIndexOf("\n", at) + 1, at).slice(-120);
      found.push(`${name} ${hint(value)} after: ${JSON.stringify(line)}`);
    }
  }
  for (const [name, shape] of Object.entries(SECRET_SHAPES)) {
    const m = shape.exec(logs);
    if (m) found.push(`${name} ${hint(m[0])} at offset ${m.index}`);
  }
  return found;
}

/**
 * The base64 body lines of the private keys in a directory (the relay's host keys, a client's
 * `id_*`): each line is unique to its key, so finding any one of them in a log is a leak.
 */
export function privateKeyLines(dir: string): Record<string, string> {
  const lines: Record<string, string> = {};
  for (const file of readdirSync(dir)) {
    const text = readFileSync(join(dir, file), "utf8");
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) continue;
    text
      .split(/\r?\n/)
      .filter((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l))
      .forEach((l, i) => {
        lines[`${file} line ${i + 1}`] = l;
      });
  }
  return lines;
}
