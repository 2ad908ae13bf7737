import { useCallback, useEffect, useState } from "react";
import { api, unwrap, unwrapEmpty } from "../api-client.ts";
import { type Credentials, type Delivery, kindLabels } from "../api-types.ts";
import { formatDateTime, useNow } from "../dates.ts";
import { filesPath, followLink, navigate } from "../navigation.ts";
import { messageOf } from "../problem.ts";
import { useSession } from "../session-context.ts";
import { useFlash } from "../shell/flash.ts";
import { PageHeader } from "../shell/page-header.tsx";
import { ActionsMenu } from "../ui/actions-menu.tsx";
import { ConfirmDialog } from "../ui/confirm-dialog.tsx";
import { Dialog } from "../ui/dialog.tsx";
import { Notice } from "../ui/notice.tsx";
import { StatusBadge } from "../ui/status-badge.tsx";
import { ConnectionDetails } from "./connection-details.tsx";
import { EditDeliveryDialog } from "./edit-delivery-dialog.tsx";
import { LoginBansPanel } from "./login-bans-panel.tsx";
import { LastFile, NextExpected, OverdueBadge } from "./monitoring.tsx";
import { NewDeliveryDialog } from "./new-delivery-dialog.tsx";
import { savedMessage } from "./schedule.ts";

type Open =
  | { kind: "none" }
  | { kind: "new" }
  | { kind: "edit"; id: string }
  | { kind: "regenerate"; delivery: Delivery }
  | { kind: "regenerated"; delivery: Delivery; credentials: Credentials }
  | { kind: "delete"; delivery: Delivery };

/** Admin › Integration › File Delivery: the account's inbound deliveries and what can be done to each. */
export function DeliveriesPage() {
  const { account } = useSession();
  const flash = useFlash();
  const [deliveries, setDeliveries] = useState<Delivery[] | null>(null);
  const [loadError, setLoadError] = useState("");
  const [rowError, setRowError] = useState("");
  const [open, setOpen] = useState<Open>({ kind: "none" });
  const now = useNow();
  const close = () => setOpen({ kind: "none" });

  const load = useCallback(async () => {
    try {
      const result = await unwrap(api.deliveries.$get());
      setDeliveries(result.deliveries);
      setLoadError("");
    } catch (e) {
      setLoadError(messageOf(e));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const replace = (updated: Delivery) =>
    setDeliveries((list) => list?.map((d) => (d.id === updated.id ? updated : d)) ?? [updated]);

  async function toggle(d: Delivery) {
    setRowError("");
    const status = d.status === "enabled" ? "disabled" : "enabled";
    try {
      replace(await unwrap(api.deliveries[":id"].$patch({ param: { id: d.id }, json: { status } })));
      flash(
        `${d.name} ${status === "enabled" ? "enabled: its logins work again" : "disabled: its logins are refused"}.`,
      );
    } catch (e) {
      setRowError(messageOf(e));
    }
  }

  const editing = open.kind === "edit" ? deliveries?.find((d) => d.id === open.id) : undefined;

  return (
    <>
      <PageHeader
        title="Integration"
        breadcrumb={["Admin", "Integration"]}
        tabs={[{ label: "File Delivery", current: true }]}
      />
      <section className="panel" aria-labelledby="deliveries-heading">
        <div className="panel-header">
          <div>
            <h2 id="deliveries-heading">Inbound file deliveries</h2>
            <p className="muted">
              Each delivery has its own SFTP login. Files dropped there are imported as users or projects.
            </p>
          </div>
          <button type="button" className="button button-primary" onClick={() => setOpen({ kind: "new" })}>
            New Inbound
          </button>
        </div>
        {loadError ? (
          <Notice tone="error">
            {loadError}{" "}
            <button type="button" className="link-button" onClick={() => void load()}>
              Try again
            </button>
          </Notice>
        ) : null}
        {rowError ? <Notice tone="error">{rowError}</Notice> : null}
        <div className="table-wrap">
          <table className="table deliveries-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Last file</th>
                <th scope="col">Next expected</th>
                <th scope="col">SFTP username</th>
                <th scope="col" className="col-wide-only">
                  Created
                </th>
                <th scope="col" className="col-actions">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody aria-busy={deliveries === null}>
              {deliveries === null && !loadError
                ? [0, 1, 2].map((i) => (
                    <tr key={i} className="skeleton-row">
                      <td colSpan={8}>
                        <span className="skeleton" />
                        {i === 0 ? <span className="visually-hidden">Loading…</span> : null}
                      </td>
                    </tr>
                  ))
                : null}
              {deliveries?.length === 0 ? (
                <tr>
                  <td colSpan={8} className="empty">
                    <p className="empty-title">No inbound deliveries yet</p>
                    <p className="muted">
                      Add a User Sync or Project Sync delivery to get an SFTP login for your IT team.
                    </p>
                  </td>
                </tr>
              ) : null}
              {deliveries?.map((d) => (
                <tr key={d.id}>
                  <td>
                    <a href={filesPath(d.id)} className="row-link row-title" onClick={followLink}>
                      {d.name}
                    </a>
                  </td>
                  <td>{kindLabels[d.kind]}</td>
                  <td>
                    <span className="badges">
                      <StatusBadge status={d.status} />
                      {d.overdue ? <OverdueBadge since={d.overdueSince} timeZone={account.timeZone} /> : null}
                    </span>
                  </td>
                  <td className="nowrap">
                    <LastFile at={d.lastReceivedAt} timeZone={account.timeZone} now={now} />
                  </td>
                  <td className="nowrap">
                    <NextExpected delivery={d} now={now} />
                  </td>
                  <td className="username-cell">
                    <code className="mono">{d.sftp.username}</code>
                  </td>
                  <td className="nowrap col-wide-only">{formatDateTime(d.createdAt, account.timeZone)}</td>
                  <td className="col-actions">
                    <ActionsMenu
                      label={`Actions for ${d.name}`}
                      items={[
                        { label: "Configure", onSelect: () => setOpen({ kind: "edit", id: d.id }) },
                        { label: "View files", onSelect: () => navigate(filesPath(d.id)) },
                        {
                          label: "Regenerate credentials",
                          onSelect: () => setOpen({ kind: "regenerate", delivery: d }),
                        },
                        { label: d.status === "enabled" ? "Disable" : "Enable", onSelect: () => void toggle(d) },
                        { label: "Delete", danger: true, onSelect: () => setOpen({ kind: "delete", delivery: d }) },
                      ]}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <LoginBansPanel />

      {open.kind === "new" ? (
        <NewDeliveryDialog onClose={close} onCreated={(d) => setDeliveries((list) => [d, ...(list ?? [])])} />
      ) : null}
      {editing ? (
        <EditDeliveryDialog
          delivery={editing}
          onClose={close}
          onSaved={(d, scheduleChanged) => {
            replace(d);
            close();
            flash(savedMessage(d, scheduleChanged));
          }}
        />
      ) : null}
      {open.kind === "regenerate" ? (
        <ConfirmDialog
          title="Regenerate credentials?"
          confirmLabel="Regenerate"
          danger
          onClose={close}
          onConfirm={async () => {
            const credentials = await unwrap(
              api.deliveries[":id"].credentials.$post({ param: { id: open.delivery.id } }),
            );
            await load();
            setOpen({ kind: "regenerated", delivery: open.delivery, credentials });
          }}
        >
          <p>
            A new password is generated for <strong>{open.delivery.name}</strong>. The current password stops working at
            once: any script or SFTP client using it must be given the new one.
          </p>
        </ConfirmDialog>
      ) : null}
      {open.kind === "regenerated" ? (
        <Dialog
          title="New credentials"
          onClose={close}
          footer={
            <button type="button" className="button button-primary" onClick={close} data-autofocus>
              Done
            </button>
          }
        >
          <Notice tone="success">{open.delivery.name} has a new password. The old one no longer works.</Notice>
          <ConnectionDetails credentials={open.credentials} />
        </Dialog>
      ) : null}
      {open.kind === "delete" ? (
        <ConfirmDialog
          title="Delete this delivery?"
          confirmLabel="Delete delivery"
          danger
          onClose={close}
          onConfirm={async () => {
            await unwrapEmpty(api.deliveries[":id"].$delete({ param: { id: open.delivery.id } }));
            setDeliveries((list) => list?.filter((d) => d.id !== open.delivery.id) ?? []);
            close();
            flash(`${open.delivery.name} deleted.`);
          }}
        >
          <p>
            <strong>{open.delivery.name}</strong> ({kindLabels[open.delivery.kind]}) will be removed and its SFTP login
            stops working at once. Files it already received and their reports are kept.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
