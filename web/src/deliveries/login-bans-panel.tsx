import { useCallback, useEffect, useState } from "react";
import { api, unwrap, unwrapEmpty } from "../api-client.ts";
import type { LoginBan } from "../api-types.ts";
import { formatDateTime } from "../dates.ts";
import { messageOf } from "../problem.ts";
import { useSession } from "../session-context.ts";
import { useFlash } from "../shell/flash.ts";
import { ConfirmDialog } from "../ui/confirm-dialog.tsx";
import { Notice } from "../ui/notice.tsx";

const what = (ban: LoginBan) => (ban.kind === "ip" ? "IP address" : "Username");

/**
 * SFTP login bans that concern this account: addresses and usernames locked
 * out after repeated failed logins. Each can be lifted early.
 */
export function LoginBansPanel({ reloadKey = 0 }: { reloadKey?: number }) {
  const { account } = useSession();
  const flash = useFlash();
  const [bans, setBans] = useState<LoginBan[] | null>(null);
  const [error, setError] = useState("");
  const [lifting, setLifting] = useState<LoginBan | null>(null);

  const load = useCallback(async () => {
    try {
      setBans((await unwrap(api["login-bans"].$get())).bans);
      setError("");
    } catch (e) {
      setError(messageOf(e));
    }
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reloadKey asks for a fresh list
  useEffect(() => {
    void load();
  }, [load, reloadKey]);

  return (
    <section className="panel bans-panel" aria-labelledby="bans-heading">
      <div className="panel-header">
        <div>
          <h2 id="bans-heading">Login bans</h2>
          <p className="muted">
            Repeated failed SFTP logins ban the address (or username) for a while, longer each time. Lift a ban once you
            know who it was. An address that also failed on other accounts stays banned until its time is up.
          </p>
        </div>
        <button type="button" className="button button-small" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      {error ? <Notice tone="error">{error}</Notice> : null}
      {bans === null && !error ? (
        <p className="bans-empty muted" aria-busy="true">
          Loading…
        </p>
      ) : null}
      {bans?.length === 0 ? <p className="bans-empty muted">No address or username is banned.</p> : null}
      {bans && bans.length > 0 ? (
        <ul className="bans-list">
          {bans.map((ban) => (
            <li key={ban.subject} className="ban">
              <span className="ban-what">
                <span className="muted">{what(ban)}</span> <code className="mono">{ban.value}</code>
              </span>
              <span className="ban-until">
                {ban.bannedUntil === null
                  ? "Banned until lifted"
                  : `Banned until ${formatDateTime(ban.bannedUntil, account.timeZone)}`}
                {ban.level > 1 ? <span className="tag ban-level">{`Ban no. ${ban.level}`}</span> : null}
              </span>
              {ban.liftable ? (
                <button
                  type="button"
                  className="button button-small"
                  aria-label={`Lift ban on ${ban.value}`}
                  onClick={() => setLifting(ban)}
                >
                  Lift
                </button>
              ) : (
                <span className="muted ban-shared">Also refused for other accounts: it ends by itself</span>
              )}
            </li>
          ))}
        </ul>
      ) : null}
      {lifting ? (
        <ConfirmDialog
          title="Lift this ban?"
          confirmLabel="Lift ban"
          onClose={() => setLifting(null)}
          onConfirm={async () => {
            await unwrapEmpty(
              api["login-bans"][":subject"].$delete({ param: { subject: encodeURIComponent(lifting.subject) } }),
            );
            setLifting(null);
            flash(`Ban on ${lifting.value} lifted.`);
            await load();
          }}
        >
          <p>
            {what(lifting)} <code className="mono">{lifting.value}</code> may try to log in again at once. If the failed
            logins go on, it is banned again, for longer.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
