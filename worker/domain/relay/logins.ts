import { and, eq, isNull } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { LoginRequest, LoginResponse } from "../../../contracts/relay.ts";
import { schema } from "../../db/client.ts";
import { AppError } from "../../errors.ts";
import { checkCredential } from "../deliveries/credentials.ts";
import { isIpAllowed, normalizeIp } from "../deliveries/ip-allowlist.ts";
import type { Deps } from "../deps.ts";
import { newId } from "../ids.ts";
import { activeBans, recordFailureStatements } from "./bans.ts";
import { issueRelaySession } from "./relay-session.ts";
import { activeSessionCount, openSessionStatement } from "./relay-sessions.ts";

export const RELAY_LIMITS = {
  maxFileBytes: 512 * 1024 * 1024,
  maxSessions: 4,
  partBytes: 8 * 1024 * 1024,
};

/** Is this address banned? Asked by the relay before any authentication. */
export async function checkConnection(deps: Pick<Deps, "db" | "now">, sourceIp: string) {
  const ip = normalizeIp(sourceIp);
  if (!ip) return { allowed: false };
  return { allowed: (await activeBans(deps, [{ kind: "ip", value: ip }])).length === 0 };
}

/**
 * Decides an SFTP login. Every outcome is recorded with its real reason; a
 * refusal reaches the client only as `login_refused`, the same for every cause.
 */
export async function decideLogin(deps: Deps, req: LoginRequest): Promise<LoginResponse> {
  const ip = normalizeIp(req.sourceIp) ?? req.sourceIp;
  const username = req.username.trim();
  const [delivery] = await deps.db
    .select()
    .from(schema.deliveries)
    .where(and(eq(schema.deliveries.sftpUsername, username), isNull(schema.deliveries.deletedAt)))
    .limit(1);

  const record = async (
    outcome: "granted" | "refused",
    reason: string | null,
    failure: boolean,
    also: BatchItem<"sqlite">[] = [],
  ) => {
    const attempt = deps.db.insert(schema.loginAttempts).values({
      id: newId("att"),
      accountId: delivery?.accountId ?? null,
      deliveryId: delivery?.id ?? null,
      username: username.slice(0, 128),
      sourceIp: ip,
      method: req.method,
      outcome,
      reason,
      relayId: req.relayId,
      createdAt: deps.now(),
    });
    const failures = failure
      ? recordFailureStatements(deps, [
          { kind: "ip", value: ip, accountId: null },
          { kind: "username", value: username.slice(0, 128), accountId: delivery?.accountId ?? null },
        ])
      : [];
    await deps.db.batch([attempt, ...failures, ...also]);
  };
  const refuse = async (reason: string, countsAsFailure = true): Promise<never> => {
    await record("refused", reason, countsAsFailure);
    throw new AppError("login_refused", "Authentication failed");
  };

  const bans = await activeBans(deps, [
    { kind: "ip", value: ip },
    { kind: "username", value: username },
  ]);
  if (bans.some((b) => b.subject.startsWith("ip:")))
    return refuse(`${ip} is banned after repeated failed logins`, false);
  if (bans.length > 0) return refuse(`username ${username} is banned after repeated failed logins`, false);
  if (!delivery) return refuse(`unknown username "${username.slice(0, 64)}"`);
  if (!normalizeIp(req.sourceIp)) return refuse(`source address "${req.sourceIp.slice(0, 64)}" is not an IP address`);
  if (!isIpAllowed(delivery.allowedIps, ip)) return refuse(`${ip} not in allowed IPs`);

  if (req.method === "password") {
    const ok = await checkCredential(deps.config.CREDENTIALS_KEY, delivery.credentialHash, req.password ?? "");
    if (!ok) return refuse("wrong password");
  } else {
    const key = req.publicKey;
    const registered =
      key &&
      (await deps.db
        .select({ id: schema.deliveryPublicKeys.id })
        .from(schema.deliveryPublicKeys)
        .where(
          and(
            eq(schema.deliveryPublicKeys.deliveryId, delivery.id),
            eq(schema.deliveryPublicKeys.accountId, delivery.accountId),
            eq(schema.deliveryPublicKeys.algorithm, key.algorithm),
            eq(schema.deliveryPublicKeys.keyData, key.data),
          ),
        )
        .limit(1));
    if (!registered || registered.length === 0) return refuse("public key not registered for this delivery");
  }
  // Checked after the credentials so a disabled delivery still counts wrong guesses.
  if (delivery.status !== "enabled") return refuse("delivery is disabled", false);

  const active = await activeSessionCount(deps, delivery.id);
  if (active >= RELAY_LIMITS.maxSessions) {
    return refuse(`too many concurrent sessions (${active} of ${RELAY_LIMITS.maxSessions})`, false);
  }
  const opened = openSessionStatement(deps, {
    accountId: delivery.accountId,
    deliveryId: delivery.id,
    relayId: req.relayId,
    sourceIp: ip,
  });
  await record("granted", null, false, [opened.statement]);
  const session = await issueRelaySession(deps, {
    sid: opened.id,
    deliveryId: delivery.id,
    accountId: delivery.accountId,
    sourceIp: ip,
  });
  return {
    session: session.token,
    expiresAt: session.expiresAt,
    deliveryId: delivery.id,
    deliveryName: delivery.name,
    kind: delivery.kind,
    maxFileBytes: RELAY_LIMITS.maxFileBytes,
    maxSessions: RELAY_LIMITS.maxSessions,
    partBytes: RELAY_LIMITS.partBytes,
  };
}
