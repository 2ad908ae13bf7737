import { useState } from "react";
import { api, unwrap } from "../api-client.ts";
import type { Delivery } from "../api-types.ts";
import { formatDateTime } from "../dates.ts";
import { messageOf } from "../problem.ts";
import { useSession } from "../session-context.ts";
import { CopyButton } from "../ui/copy-button.tsx";
import { CopyField } from "../ui/copy-field.tsx";
import { AllowedIpsEditor, type IpRow } from "./allowed-ips-editor.tsx";
import { PublicKeysSection } from "./public-keys-section.tsx";
import { AllowedIpsImpact, RecentRefusedLogins, useRecentLogins } from "./recent-logins.tsx";

/**
 * Where and how IT connects: SFTP URL, username, the password on request, the
 * IP allow list (checked against recent logins), public keys, and why recent
 * logins were refused.
 */
export function ConnectionTab({
  delivery,
  ipRows,
  onIpRowsChange,
}: {
  delivery: Delivery;
  ipRows: IpRow[];
  onIpRowsChange: (rows: IpRow[]) => void;
}) {
  const { account } = useSession();
  const [password, setPassword] = useState<string | null>(null);
  const [revealing, setRevealing] = useState(false);
  const [error, setError] = useState("");
  const logins = useRecentLogins(delivery.id);

  async function reveal() {
    setRevealing(true);
    setError("");
    try {
      const credentials = await unwrap(api.deliveries[":id"].credentials.$get({ param: { id: delivery.id } }));
      setPassword(credentials.password);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setRevealing(false);
    }
  }

  return (
    <div className="connection-tab">
      <div className="connection-details">
        <CopyField label="SFTP URL" value={delivery.sftp.url} />
        <CopyField label="Username" value={delivery.sftp.username} />
        <div className="field copy-field">
          <label htmlFor="delivery-password">Password</label>
          <div className="input-row">
            <input
              id="delivery-password"
              className="mono secret"
              type={password === null ? "password" : "text"}
              value={password ?? "••••••••••••••••"}
              readOnly
              aria-describedby="delivery-password-hint"
            />
            {password === null ? (
              <button type="button" className="button button-small" onClick={reveal} disabled={revealing}>
                {revealing ? "Revealing…" : "Reveal"}
              </button>
            ) : (
              <>
                <button type="button" className="button button-small" onClick={() => setPassword(null)}>
                  Hide
                </button>
                <CopyButton value={password} label="Password" />
              </>
            )}
          </div>
          <p id="delivery-password-hint" className={error ? "field-error" : "field-hint"}>
            {error ||
              `Set ${formatDateTime(delivery.credentialsRotatedAt, account.timeZone)}. Revealing it is recorded in the audit log.`}
          </p>
        </div>
      </div>
      <div className="connection-section">
        <AllowedIpsEditor rows={ipRows} onChange={onIpRowsChange} />
        <AllowedIpsImpact entries={ipRows.map((r) => r.value)} logins={logins} />
      </div>
      <div className="connection-section">
        <PublicKeysSection deliveryId={delivery.id} />
      </div>
      <div className="connection-section">
        <RecentRefusedLogins logins={logins} />
      </div>
    </div>
  );
}
