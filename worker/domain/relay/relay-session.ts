import { AppError } from "../../errors.ts";
import { toBase64Url } from "../crypto/encoding.ts";
import { keyedHash, safeEqual } from "../crypto/secrets.ts";
import type { Deps } from "../deps.ts";

/** A relay session outlives any realistic SFTP connection but not a credential rotation by much. */
export const RELAY_SESSION_MS = 12 * 60 * 60 * 1000;

export interface RelaySession {
  /** The row in `relay_sessions` that counts this session against the delivery's limit. */
  sid: string;
  deliveryId: string;
  accountId: string;
  sourceIp: string;
  /** Issued at: a session issued before the delivery's last credential rotation is refused. */
  iat: number;
  exp: number;
}

/**
 * A stateless, signed session token (`payload.signature`): any relay and any
 * Worker instance can check it without a lookup. Signed with a key derived from
 * RELAY_TOKEN, so only relays holding that secret are ever handed one.
 */
export async function issueRelaySession(
  deps: Pick<Deps, "config" | "now">,
  s: Omit<RelaySession, "iat" | "exp">,
): Promise<{ token: string; expiresAt: number }> {
  const now = deps.now();
  const expiresAt = now + RELAY_SESSION_MS;
  const payload = toBase64Url(new TextEncoder().encode(JSON.stringify({ ...s, iat: now, exp: expiresAt })));
  return { token: `${payload}.${await keyedHash(deps.config.RELAY_TOKEN, "relay-session", payload)}`, expiresAt };
}

export async function verifyRelaySession(deps: Pick<Deps, "config" | "now">, token: string): Promise<RelaySession> {
  const invalid = () => new AppError("unauthorized", "Relay session is invalid or expired");
  const [payload, signature, extra] = token.split(".");
  if (!payload || !signature || extra !== undefined || token.length > 2000) throw invalid();
  const expected = await keyedHash(deps.config.RELAY_TOKEN, "relay-session", payload);
  if (!safeEqual(signature, expected)) throw invalid();
  let session: RelaySession;
  try {
    const json = atob(payload.replaceAll("-", "+").replaceAll("_", "/"));
    session = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
  } catch {
    throw invalid();
  }
  if (typeof session.exp !== "number" || session.exp <= deps.now()) throw invalid();
  return session;
}
