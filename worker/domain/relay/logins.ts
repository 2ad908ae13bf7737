import { and, eq, isNull } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { LoginRequest, LoginResponse } from "../../../contracts/relay.ts";
import { schema } from "../../db/client.ts";
import { AppError } from "../../errors.ts";
import { checkCredential } from "../deliveries/credentials.ts";
import { isIpAllowed, normalizeIp } from "../deliveries/ip-allowlist.ts";
import type { Deps } from "../deps.ts";
import { newId } from "../ids.ts";
import {
  type AttemptRecord,
  activeBans,
  admitAttemptStatements,
  banPolicy,
  recordFailureStatements,
  type Subject,
} from "./bans.ts";
import { refusalReasons } from "./refusals.ts";
import { issueRelaySession } from "./relay-session.ts";
import { activeSessionCount, openSessionStatement } from "./relay-sessions.ts";

export const RELAY_LIMITS = {
  maxFileBytes: 512 * 1024 * 1024,
  maxSessions: 4,
  // R2's smallest part: the relay holds about three of them per upload (filling, uploading, spare).
  partBytes: 5 * 1024 * 1024,
};

/** Is this address banned? Asked by the relay before any authentication. */
export async function checkConnection(deps: Pick<Deps, "db" | "now">, sourceIp: string) {
  const ip = normalizeIp(sourceIp);
  if (!ip) return { allowed: false };
  return { allowed: (await activeBans(deps, [{ kind: "ip", value: ip }])).length === 0 };
}

/** Sleeps between admission tries: password checks take milliseconds, so places free up fast. */
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Decides an SFTP login. Every outcome is recorded with its real reason; a
 * refusal reaches the client only as `login_refused`, the same for every cause.
 *
 * An attempt is admitted (`admitAttemptStatements`) before any credential is
 * checked, and only while the source IP's and the username's failures plus
 * attempts in flight stay under their thresholds, so parallel guesses cannot
 * check more passwords than a ban allows. An attempt that finds the places
 * held only by others in flight waits for them rather than being refused:
 * right credentials never count as a failure, however many arrive at once.
 * Settling the attempt frees its place, counting a failure when it was one.
 */
export async function decideLogin(deps: Deps, req: LoginRequest): Promise<LoginResponse> {
  const ip = normalizeIp(req.sourceIp) ?? req.sourceIp;
  const username = req.username.trim();
  const [delivery] = await deps.db
    .select()
    .from(schema.deliveries)
    .where(and(eq(schema.deliveries.sftpUsername, username), isNull(schema.deliveries.deletedAt)))
    .limit(1);

  // Refusals that need no credential check; they count as failures all the same.
  const early = !delivery
    ? refusalReasons.unknownUsername(username)
    : !normalizeIp(req.sourceIp)
      ? refusalReasons.notAnIp(req.sourceIp)
      : !isIpAllowed(delivery.allowedIps, ip)
        ? refusalReasons.notAllowed(ip)
        : null;

  const subjects: Subject[] = [
    { kind: "ip", value: ip, accountId: null },
    { kind: "username", value: username, accountId: delivery?.accountId ?? null },
  ];
  const attempt: AttemptRecord = {
    id: newId("att"),
    accountId: delivery?.accountId ?? null,
    deliveryId: delivery?.id ?? null,
    username,
    sourceIp: ip,
    method: req.method,
    relayId: req.relayId,
  };
  const refused = () => new AppError("login_refused", "Authentication failed");

  let waited = 0;
  for (;;) {
    const [admitted, banned] = await deps.db.batch(admitAttemptStatements(deps, deps.now(), attempt, subjects));
    if (admitted.length > 0) break;
    // Recorded as refused for the ban in force.
    if (banned.length > 0) throw refused();
    if (waited >= banPolicy.admissionWaitMs) {
      await deps.db.insert(schema.loginAttempts).values({
        ...attempt,
        outcome: "refused",
        reason: refusalReasons.busy,
        createdAt: deps.now(),
      });
      throw refused();
    }
    const ms = 10 + Math.floor(Math.random() * 40);
    await pause(ms);
    waited += ms;
  }

  /** Records the outcome, which frees the attempt's place; a failure is counted in the same step. */
  const settle = async (
    outcome: "granted" | "refused",
    reason: string | null,
    failure: boolean,
    also: BatchItem<"sqlite">[] = [],
  ) => {
    await deps.db.batch([
      deps.db.update(schema.loginAttempts).set({ outcome, reason }).where(eq(schema.loginAttempts.id, attempt.id)),
      ...(failure ? recordFailureStatements(deps, deps.now(), subjects) : []),
      ...also,
    ]);
  };
  const refuse = async (reason: string, failure = true): Promise<never> => {
    await settle("refused", reason, failure);
    throw refused();
  };
  if (early || !delivery) return refuse(early ?? refusalReasons.unknownUsername(username));

  if (req.method === "password") {
    const ok = await checkCredential(deps.config.CREDENTIALS_KEY, delivery.credentialHash, req.password ?? "");
    if (!ok) return refuse(refusalReasons.wrongPassword);
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
    if (!registered || registered.length === 0) return refuse(refusalReasons.unknownKey);
  }
  // Checked after the credentials so a disabled delivery still counts wrong guesses.
  if (delivery.status !== "enabled") return refuse(refusalReasons.disabled, false);

  const active = await activeSessionCount(deps, delivery.id);
  if (active >= RELAY_LIMITS.maxSessions) {
    return refuse(refusalReasons.tooManySessions(active, RELAY_LIMITS.maxSessions), false);
  }
  const opened = openSessionStatement(deps, {
    accountId: delivery.accountId,
    deliveryId: delivery.id,
    relayId: req.relayId,
    sourceIp: ip,
  });
  await settle("granted", null, false, [opened.statement]);
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
