import { type FormEvent, useId, useRef, useState } from "react";
import { api, unwrap } from "../api-client.ts";
import { type Delivery, kindLabels } from "../api-types.ts";
import { ApiProblem, messageOf } from "../problem.ts";
import { Dialog } from "../ui/dialog.tsx";
import { Notice } from "../ui/notice.tsx";
import { Tabs } from "../ui/tabs.tsx";
import { TextField } from "../ui/text-field.tsx";
import { type IpRow, ipRow } from "./allowed-ips-editor.tsx";
import { ConnectionTab } from "./connection-tab.tsx";
import { type NotificationSettings, NotificationsTab } from "./notifications-tab.tsx";
import { scheduleChanged, scheduleForm, scheduleInput, scheduleMessage } from "./schedule.ts";

export type EditTab = "notifications" | "connection";

const notificationFields = new Set(["syncMode", "fullSyncThresholdPercent", "notificationEmail"]);
const onNotificationsTab = (field: string) => notificationFields.has(field) || /^schedule(\.|$)/.test(field);

/**
 * Edit Inbound File Delivery: every tab's fields are saved together by Update
 * (one PATCH). Errors land beside their field; a tab with errors is marked.
 */
export function EditDeliveryDialog({
  delivery,
  initialTab = "notifications",
  onClose,
  onSaved,
}: {
  delivery: Delivery;
  initialTab?: EditTab;
  onClose: () => void;
  /** `scheduleChanged`: the Expected File Frequency was saved, so monitoring restarted with a new deadline. */
  onSaved: (d: Delivery, scheduleChanged: boolean) => void;
}) {
  const [tab, setTab] = useState<EditTab>(initialTab);
  const [name, setName] = useState(delivery.name);
  const [settings, setSettings] = useState<NotificationSettings>({
    schedule: scheduleForm(delivery.schedule),
    syncMode: delivery.syncMode,
    threshold: String(delivery.fullSyncThresholdPercent),
    notificationEmail: delivery.notificationEmail ?? "",
  });
  const [ipRows, setIpRows] = useState<IpRow[]>(() => delivery.allowedIps.map((ip) => ipRow(ip)));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const formId = useId();
  const form = useRef<HTMLFormElement>(null);

  /** After errors show, the first visible invalid field takes focus (its message is read with it). */
  const focusFirstInvalid = () =>
    requestAnimationFrame(() => {
      const invalid = form.current?.querySelectorAll<HTMLElement>('[aria-invalid="true"]') ?? [];
      for (const el of invalid) {
        if (el.offsetParent !== null) return el.focus();
      }
    });

  /** An edited field's error goes away at once; the others stay until the next Update. */
  function changeSettings(next: NotificationSettings) {
    const edited = new Set<string>();
    const [a, b] = [settings.schedule, next.schedule];
    if (a.frequency !== b.frequency) edited.add("schedule").add("schedule.frequency").add("schedule.day");
    if (a.frequency !== b.frequency || a.expectedBy !== b.expectedBy || a.minute !== b.minute)
      edited.add("schedule.expectedBy");
    if (a.frequency !== b.frequency || a.grace !== b.grace || a.graceUnit !== b.graceUnit)
      edited.add("schedule.graceMinutes");
    if (a.weekday !== b.weekday || a.monthDay !== b.monthDay) edited.add("schedule.day");
    if (settings.threshold !== next.threshold || settings.syncMode !== next.syncMode)
      edited.add("fullSyncThresholdPercent").add("syncMode");
    if (settings.notificationEmail !== next.notificationEmail) edited.add("notificationEmail");
    setSettings(next);
    if (Object.keys(errors).some((k) => edited.has(k))) {
      setErrors((current) => Object.fromEntries(Object.entries(current).filter(([k]) => !edited.has(k))));
    }
  }

  const ipErrors = ipRows.some((r) => r.serverError);
  const notificationErrors = Object.keys(errors).some(onNotificationsTab);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const threshold = Number(settings.threshold);
    const local: Record<string, string> = {};
    if (!name.trim()) local.name = "Enter a name";
    if (settings.threshold.trim() === "" || !Number.isInteger(threshold) || threshold < 0 || threshold > 100) {
      local.fullSyncThresholdPercent = "Enter a whole number from 0 to 100";
    }
    const schedule = scheduleInput(settings.schedule);
    if ("errors" in schedule) Object.assign(local, schedule.errors);
    setErrors(local);
    setError("");
    if (Object.keys(local).length > 0 || "errors" in schedule) {
      if (Object.keys(local).some(onNotificationsTab)) setTab("notifications");
      focusFirstInvalid();
      return;
    }
    // Saving a schedule restarts monitoring and clears an overdue state: only send it when it changed.
    const changedSchedule = scheduleChanged(schedule.input, delivery.schedule);
    // Blank rows are dropped; `sent[i]` remembers which row the Worker's `allowedIps.i` refers to.
    const sent = ipRows.filter((r) => r.value.trim() !== "");
    setBusy(true);
    try {
      const updated = await unwrap(
        api.deliveries[":id"].$patch({
          param: { id: delivery.id },
          json: {
            name: name.trim(),
            syncMode: settings.syncMode,
            fullSyncThresholdPercent: threshold,
            notificationEmail: settings.notificationEmail.trim() || null,
            allowedIps: sent.map((r) => r.value.trim()),
            ...(changedSchedule ? { schedule: schedule.input } : {}),
          },
        }),
      );
      onSaved(updated, changedSchedule);
    } catch (e) {
      setBusy(false);
      setError(messageOf(e));
      if (!(e instanceof ApiProblem)) return;
      const fields = e.fieldErrors();
      const byRow = new Map<number, string>();
      for (const [field, message] of Object.entries(fields)) {
        const m = /^allowedIps\.(\d+)$/.exec(field);
        const row = m ? sent[Number(m[1])] : undefined;
        if (row) byRow.set(row.key, message);
      }
      setIpRows((rows) => rows.map((r) => ({ key: r.key, value: r.value, serverError: byRow.get(r.key) })));
      for (const field of Object.keys(fields)) {
        if (field.startsWith("schedule")) fields[field] = scheduleMessage(field, fields[field] ?? "");
      }
      setErrors(fields);
      const onNotifications = Object.keys(fields).some(onNotificationsTab);
      if (byRow.size > 0 && !(tab === "notifications" && onNotifications)) setTab("connection");
      else if (onNotifications && byRow.size === 0) setTab("notifications");
      focusFirstInvalid();
    }
  }

  return (
    <Dialog
      title="Edit Inbound File Delivery"
      size="large"
      onClose={onClose}
      footer={
        <>
          <div className="dialog-actions-message">{error ? <Notice tone="error">{error}</Notice> : null}</div>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form={formId} className="button button-primary" disabled={busy}>
            {busy ? "Updating…" : "Update"}
          </button>
        </>
      }
    >
      <form id={formId} ref={form} className="form edit-delivery" onSubmit={submit} noValidate>
        <div className="edit-summary">
          <TextField
            label="Name"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={errors.name}
            maxLength={120}
          />
          <p className="edit-kind">
            <span className="muted">Kind</span> {kindLabels[delivery.kind]}
          </p>
        </div>
        <Tabs
          idPrefix="edit-delivery"
          label="Delivery settings"
          selected={tab}
          onSelect={setTab}
          tabs={[
            { id: "notifications", label: "Notifications", invalid: notificationErrors },
            { id: "connection", label: "Connection", invalid: ipErrors },
          ]}
        />
        <div
          id="edit-delivery-panel-notifications"
          role="tabpanel"
          aria-labelledby="edit-delivery-tab-notifications"
          className="tab-panel"
          hidden={tab !== "notifications"}
        >
          <NotificationsTab delivery={delivery} value={settings} onChange={changeSettings} errors={errors} />
        </div>
        <div
          id="edit-delivery-panel-connection"
          role="tabpanel"
          aria-labelledby="edit-delivery-tab-connection"
          className="tab-panel"
          hidden={tab !== "connection"}
        >
          <ConnectionTab delivery={delivery} ipRows={ipRows} onIpRowsChange={setIpRows} />
        </div>
      </form>
    </Dialog>
  );
}
