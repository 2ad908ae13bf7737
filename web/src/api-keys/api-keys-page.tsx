import { useCallback, useEffect, useState } from "react";
import { api, unwrap, unwrapEmpty } from "../api-client.ts";
import type { ApiKey } from "../api-types.ts";
import { formatDateTime } from "../dates.ts";
import { messageOf } from "../problem.ts";
import { useSession } from "../session-context.ts";
import { useFlash } from "../shell/flash.ts";
import { PageHeader } from "../shell/page-header.tsx";
import { ConfirmDialog } from "../ui/confirm-dialog.tsx";
import { Notice } from "../ui/notice.tsx";
import { StatusBadge } from "../ui/status-badge.tsx";
import { NewApiKeyDialog } from "./new-api-key-dialog.tsx";

/** API keys for integrators: list, create (shown once) and revoke. */
export function ApiKeysPage() {
  const { account } = useSession();
  const flash = useFlash();
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [loadError, setLoadError] = useState("");
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);

  const load = useCallback(async () => {
    try {
      setKeys((await unwrap(api["api-keys"].$get())).apiKeys);
      setLoadError("");
    } catch (e) {
      setLoadError(messageOf(e));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const when = (ms: number | null) => (ms === null ? "—" : formatDateTime(ms, account.timeZone));

  return (
    <>
      <PageHeader title="API keys" breadcrumb={["Admin", "API keys"]} />
      <section className="panel" aria-labelledby="keys-heading">
        <div className="panel-header">
          <div>
            <h2 id="keys-heading">Keys for integrations</h2>
            <p className="muted">
              Systems use these to call the Sluice API and SCIM. A key is shown once, when it is created.
            </p>
          </div>
          <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
            Create API key
          </button>
        </div>
        {loadError ? <Notice tone="error">{loadError}</Notice> : null}
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                <th scope="col" className="col-actions">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody aria-busy={keys === null}>
              {keys === null && !loadError
                ? [0, 1].map((i) => (
                    <tr key={i} className="skeleton-row">
                      <td colSpan={7}>
                        <span className="skeleton" />
                        {i === 0 ? <span className="visually-hidden">Loading…</span> : null}
                      </td>
                    </tr>
                  ))
                : null}
              {keys?.length === 0 ? (
                <tr>
                  <td colSpan={7} className="empty">
                    <p className="empty-title">No API keys yet</p>
                    <p className="muted">Create one for each system that calls Sluice, so each can be revoked alone.</p>
                  </td>
                </tr>
              ) : null}
              {keys?.map((k) => (
                <tr key={k.id} className={k.revokedAt === null ? undefined : "row-muted"}>
                  <td className="row-title">{k.name}</td>
                  <td>
                    <code className="mono">{k.prefix}…</code>
                  </td>
                  <td className="nowrap">
                    {k.scopes.map((s) => (
                      <span key={s} className="tag">
                        {s.toUpperCase()}
                      </span>
                    ))}
                  </td>
                  <td className="nowrap">{when(k.createdAt)}</td>
                  <td className="nowrap">{k.lastUsedAt === null ? "Never" : when(k.lastUsedAt)}</td>
                  <td className="nowrap">
                    {k.revokedAt === null ? (
                      <StatusBadge status="active" />
                    ) : (
                      <span title={`Revoked ${when(k.revokedAt)}`}>
                        <StatusBadge status="revoked" label={`Revoked ${when(k.revokedAt)}`} />
                      </span>
                    )}
                  </td>
                  <td className="col-actions">
                    {k.revokedAt === null ? (
                      <button
                        type="button"
                        className="button button-small button-danger-quiet"
                        aria-label={`Revoke ${k.name}`}
                        onClick={() => setRevoking(k)}
                      >
                        Revoke
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      {creating ? <NewApiKeyDialog onClose={() => setCreating(false)} onCreated={() => void load()} /> : null}
      {revoking ? (
        <ConfirmDialog
          title="Revoke this API key?"
          confirmLabel="Revoke key"
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await unwrapEmpty(api["api-keys"][":id"].$delete({ param: { id: revoking.id } }));
            setRevoking(null);
            flash(`${revoking.name} revoked.`);
            await load();
          }}
        >
          <p>
            Requests with <strong>{revoking.name}</strong> (<code>{revoking.prefix}…</code>) are refused from now on.
            This cannot be undone.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
