import { randomBytes, toBase64Url, toHex, utf8 } from "../crypto/encoding.ts";

/** Signing secrets look like `whsec_` + 32 random bytes (256 bits), base64url: recognisable by secret scanners. */
export const SECRET_PREFIX = "whsec_";

export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${toBase64Url(randomBytes(32))}`;
}

/**
 * HMAC-SHA256 of `<t>.<body>` keyed with the whole secret string (prefix
 * included), as lower-case hex: what a receiver recomputes in one line.
 */
export async function signPayload(secret: string, timestamp: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", utf8.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  return toHex(await crypto.subtle.sign("HMAC", key, utf8.encode(`${timestamp}.${body}`)));
}

/**
 * The `Sluice-Signature` header: `t=<unix seconds>,v1=<hex>[,v1=<hex>]`, one
 * `v1` per valid secret (the current one first, then the previous one while a
 * rotation is in its grace period), so a receiver holding either verifies.
 */
export async function signatureHeader(secrets: string[], timestamp: number, body: string): Promise<string> {
  const signatures = await Promise.all(secrets.map((s) => signPayload(s, timestamp, body)));
  return [`t=${timestamp}`, ...signatures.map((s) => `v1=${s}`)].join(",");
}
