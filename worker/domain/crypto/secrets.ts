import { fromBase64, randomBytes, toBase64, toHex, utf8 } from "./encoding.ts";

/** Constant-time comparison of two strings (lengths may leak; values do not). */
export function safeEqual(a: string, b: string): boolean {
  const ab = utf8.encode(a);
  const bb = utf8.encode(b);
  if (ab.byteLength !== bb.byteLength) {
    // Compare against itself so the time taken does not depend on where they differ.
    crypto.subtle.timingSafeEqual(ab, ab);
    return false;
  }
  return crypto.subtle.timingSafeEqual(ab, bb);
}

export async function sha256Hex(text: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", utf8.encode(text)));
}

/**
 * Purpose-bound keys derived from one Worker secret with HKDF, so the hashing
 * key and the encryption key are never the same bytes.
 */
async function deriveKey(secret: string, purpose: "credential-hash" | "credential-encrypt" | "relay-session") {
  const base = await crypto.subtle.importKey("raw", utf8.encode(secret), "HKDF", false, ["deriveKey"]);
  const params = { name: "HKDF", hash: "SHA-256", salt: utf8.encode("sluice"), info: utf8.encode(purpose) };
  if (purpose === "credential-encrypt") {
    return crypto.subtle.deriveKey(params, base, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  }
  return crypto.subtle.deriveKey(params, base, { name: "HMAC", hash: "SHA-256", length: 256 }, false, [
    "sign",
    "verify",
  ]);
}

export async function keyedHash(secret: string, purpose: "credential-hash" | "relay-session", value: string) {
  const key = await deriveKey(secret, purpose);
  return toHex(await crypto.subtle.sign("HMAC", key, utf8.encode(value)));
}

export async function encryptSecret(secret: string, plaintext: string): Promise<string> {
  const key = await deriveKey(secret, "credential-encrypt");
  const iv = randomBytes(12);
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, utf8.encode(plaintext)));
  const out = new Uint8Array(iv.length + ct.length);
  out.set(iv);
  out.set(ct, iv.length);
  return `v1:${toBase64(out)}`;
}

export async function decryptSecret(secret: string, stored: string): Promise<string> {
  if (!stored.startsWith("v1:")) throw new Error("unknown ciphertext version");
  const bytes = fromBase64(stored.slice(3));
  const key = await deriveKey(secret, "credential-encrypt");
  const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.slice(0, 12) }, key, bytes.slice(12));
  return new TextDecoder().decode(pt);
}
