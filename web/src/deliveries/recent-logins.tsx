import { useCallback, useEffect, useId, useMemo, useState } from "react";
import { api, unwrap } from "../api-client.ts";
import type { LoginAttempt } from "../api-types.ts";
import { formatDateTime } from "../dates.ts";
import { messageOf } from "../problem.ts";
import { useSession } from "../session-context.ts";
import { Notice } from "../ui/notice.tsx";
import { makeIpMatcher } from "./ip-entry-check.ts";

const SHOWN = 10;

export interface RecentLogins {
  refused: LoginAttempt[] | null;
  granted: LoginAttempt[] | null;
  error: string;
  reload: () => void;
}

/** A delivery's recent refused and granted SFTP logins (newest first), as recorded by the Worker. */
export function useRecentLogins(deliveryId: string): RecentLogins {
  const [refused, setRefused] = useState<LoginAttempt[] | null>(null);
  const [granted, setGranted] = useState<LoginAttempt[] | null>(null);
  const [error, setError] = useState("");

  const load = useCallback(async () => {
    const attempts = (outcome: "refused" | "granted", limit: number) =>
      unwrap(
        api.deliveries[":id"]["login-attempts"].$get({
          param: { id: deliveryId },
          query: { outcome, limit: String(limit) },
        }),
      ).then((r) => r.loginAttempts);
    try {
      const [r, g] = await Promise.all([attempts("refused", 50), attempts("granted", 100)]);
      setRefused(r);
      setGranted(g);
      setError("");
    } catch (e) {
      setError(messageOf(e));
    }
  }, [deliveryId]);

  useEffect(() => {
    void load();
  }, [load]);

  return { refused, granted, error, reload: () => void load() };
}

const methodLabels: Record<string, string> = { password: "Password", publickey: "Public key" };
const methodLabel = (m: string) => methodLabels[m] ?? m;

/** Refused logins with the real reason (the SFTP client is never told why). */
export function RecentRefusedLogins({ logins }: { logins: RecentLogins }) {
  const { account } = useSession();
  const [all, setAll] = useState(false);
  const headingId = useId();
  const { refused, error } = logins;
  const shown = refused && !all ? refused.slice(0, SHOWN) : refused;

  return (
    <section className="logins-section" aria-labelledby={headingId}>
      <div className="section-title-row">
        <h3 id={headingId}>Recent refused logins</h3>
        <button type="button" className="button button-small button-quiet" onClick={logins.reload}>
          Refresh
        </button>
      </div>
      <p className="field-hint">
        SFTP clients are only told “access denied”. The real reason is kept here for you, newest first.
      </p>
      {error ? <Notice tone="error">{error}</Notice> : null}
      {refused === null && !error ? (
        <p className="list-placeholder muted" aria-busy="true">
          Loading logins…
        </p>
      ) : null}
      {refused?.length === 0 ? <p className="list-placeholder muted">No refused logins recently.</p> : null}
      {shown && shown.length > 0 ? (
        <div className="table-wrap">
          <table className="table table-compact">
            <caption className="visually-hidden">Recent refused logins, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Source IP</th>
                <th scope="col">Method</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((a) => (
                <tr key={a.id}>
                  <td className="nowrap">{formatDateTime(a.createdAt, account.timeZone)}</td>
                  <td className="nowrap">
                    <code className="mono">{a.sourceIp}</code>
                  </td>
                  <td className="nowrap">{methodLabel(a.method)}</td>
                  <td>{a.reason ?? <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {refused && refused.length > SHOWN ? (
        <button type="button" className="button button-small show-all" onClick={() => setAll((a) => !a)}>
          {all ? `Show the latest ${SHOWN}` : `Show all ${refused.length}`}
        </button>
      ) : null}
    </section>
  );
}

interface SeenAddress {
  ip: string;
  last: LoginAttempt;
  granted: boolean;
}

/**
 * Checks the Allowed IP list being edited (not yet saved) against the addresses
 * that logged in, or tried to, recently: which of them would it shut out?
 */
export function AllowedIpsImpact({ entries, logins }: { entries: string[]; logins: RecentLogins }) {
  const { account } = useSession();
  const headingId = useId();
  const key = entries.join("\n");
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for the entries' contents
  const allows = useMemo(() => makeIpMatcher(entries), [key]);

  const seen = useMemo(() => {
    const byIp = new Map<string, SeenAddress>();
    const all = [...(logins.granted ?? []), ...(logins.refused ?? [])].sort((a, b) => b.createdAt - a.createdAt);
    for (const a of all) {
      const entry = byIp.get(a.sourceIp);
      if (!entry) byIp.set(a.sourceIp, { ip: a.sourceIp, last: a, granted: a.outcome === "granted" });
      else if (a.outcome === "granted") entry.granted = true;
    }
    return [...byIp.values()];
  }, [logins.granted, logins.refused]);

  const loading = logins.granted === null || logins.refused === null;
  const blocked = seen.filter((s) => !allows(s.ip));
  const lockedOut = blocked.filter((s) => s.granted);

  let summary: string;
  if (loading) summary = logins.error ? "Recent logins could not be loaded." : "Checking recent logins…";
  else if (seen.length === 0) summary = "No logins yet: nothing to check this list against.";
  else if (blocked.length === 0)
    summary = `This list allows ${seen.length === 1 ? "the 1 address" : `all ${seen.length} addresses`} that logged in or tried to recently.`;
  else
    summary = `This list would block ${blocked.length} of the ${seen.length} addresses that logged in or tried to recently${
      lockedOut.length > 0
        ? `, including ${lockedOut.length === 1 ? "1 that logged in successfully" : `${lockedOut.length} that logged in successfully`}`
        : ""
    }.`;

  return (
    <section className="impact" aria-labelledby={headingId}>
      <h4 id={headingId} className="visually-hidden">
        Recent login addresses under this list
      </h4>
      <p className={`impact-summary${lockedOut.length > 0 ? " impact-warning" : ""}`} role="status">
        {summary}
      </p>
      {blocked.length > 0 ? (
        <ul className="impact-list">
          {blocked.slice(0, 8).map((s) => (
            <li key={s.ip}>
              <code className="mono">{s.ip}</code>
              <span className={s.granted ? "impact-tag impact-tag-danger" : "impact-tag"}>
                {s.granted ? "Logged in successfully" : "Only refused logins"}
              </span>
              <span className="muted">last {formatDateTime(s.last.createdAt, account.timeZone)}</span>
            </li>
          ))}
          {blocked.length > 8 ? <li className="muted">and {blocked.length - 8} more</li> : null}
        </ul>
      ) : null}
    </section>
  );
}
