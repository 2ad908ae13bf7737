import { and, eq, like, not, or, sql } from "drizzle-orm";
import { schema } from "../../db/client.ts";

const BANNED = "is banned after repeated failed logins";

/**
 * The reasons recorded for refused SFTP logins. Admins read them; the ban
 * rules read them too (`countedRefusal`), so they live in one place.
 */
export const refusalReasons = {
  /** Recorded when the attempt is counted, before its credentials are checked; replaced once they are. */
  pending: "login did not finish",
  ipBanned: (ip: string) => `${ip} ${BANNED}`,
  usernameBanned: (username: string) => `username ${username} ${BANNED}`,
  unknownUsername: (username: string) => `unknown username "${username.slice(0, 64)}"`,
  notAnIp: (sourceIp: string) => `source address "${sourceIp.slice(0, 64)}" is not an IP address`,
  notAllowed: (ip: string) => `${ip} not in allowed IPs`,
  wrongPassword: "wrong password",
  unknownKey: "public key not registered for this delivery",
  /** The credentials were right: not a failure. */
  disabled: "delivery is disabled",
  /** The credentials were right: not a failure. */
  tooManySessions: (active: number, max: number) => `too many concurrent sessions (${active} of ${max})`,
  /** Other attempts from the address or for the username held every place for too long: not a failure. */
  busy: "too many logins at once from this address or for this username",
};

/**
 * A recorded attempt that counted as a failure (or is still being checked):
 * refused for any reason but a ban in force, a refusal after right credentials
 * or one that waited too long to be admitted.
 */
export function countedRefusal() {
  const a = schema.loginAttempts;
  return and(
    eq(a.outcome, "refused"),
    not(
      or(
        eq(a.reason, sql`${a.sourceIp} || ${` ${BANNED}`}`),
        eq(a.reason, sql`${"username "} || ${a.username} || ${` ${BANNED}`}`),
        eq(a.reason, refusalReasons.disabled),
        like(a.reason, "too many concurrent sessions (%"),
        eq(a.reason, refusalReasons.busy),
      ) ?? sql`false`,
    ),
  );
}
