import type { Delivery } from "../api-types.ts";
import { TextField } from "../ui/text-field.tsx";

export interface NotificationSettings {
  syncMode: Delivery["syncMode"];
  threshold: string;
  notificationEmail: string;
}

/** How a file is applied (upsert or full sync with its safety threshold) and who hears about it. */
export function NotificationsTab({
  delivery,
  value,
  onChange,
  errors,
}: {
  delivery: Delivery;
  value: NotificationSettings;
  onChange: (value: NotificationSettings) => void;
  errors: Record<string, string>;
}) {
  const things = delivery.kind === "user_sync" ? "users" : "projects";
  const full = value.syncMode === "full_sync";
  return (
    <div className="notifications-tab">
      <fieldset className="choice-group">
        <legend>Sync mode</legend>
        <label className="choice-card">
          <input
            type="radio"
            name="syncMode"
            value="upsert"
            checked={!full}
            onChange={() => onChange({ ...value, syncMode: "upsert" })}
          />
          <span className="choice-text">
            <span className="choice-title">Upsert</span>
            <span className="choice-description">
              Create and update the {things} in each file. {things.charAt(0).toUpperCase() + things.slice(1)} not in the
              file are left as they are.
            </span>
          </span>
        </label>
        <label className="choice-card">
          <input
            type="radio"
            name="syncMode"
            value="full_sync"
            checked={full}
            onChange={() => onChange({ ...value, syncMode: "full_sync" })}
          />
          <span className="choice-text">
            <span className="choice-title">Full sync</span>
            <span className="choice-description">
              Each file is the complete list: active {things} missing from it are deactivated.
            </span>
          </span>
        </label>
        {errors.syncMode ? <p className="field-error">{errors.syncMode}</p> : null}
      </fieldset>
      <TextField
        label="Full sync threshold (%)"
        className="field-narrow"
        type="number"
        inputMode="numeric"
        min={0}
        max={100}
        step={1}
        value={value.threshold}
        disabled={!full}
        onChange={(e) => onChange({ ...value, threshold: e.currentTarget.value })}
        hint={`A full-sync file that would deactivate more than this share of active ${things} is held until an admin approves it.`}
        error={errors.fullSyncThresholdPercent}
      />
      <TextField
        label="Notification email"
        type="email"
        value={value.notificationEmail}
        onChange={(e) => onChange({ ...value, notificationEmail: e.currentTarget.value })}
        placeholder="it-team@example.com"
        hint="An extra address, such as your IT team's, to notify about this delivery's files. Admins are always notified."
        error={errors.notificationEmail}
        autoComplete="email"
      />
    </div>
  );
}
