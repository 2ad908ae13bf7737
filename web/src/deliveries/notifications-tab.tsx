import type { Delivery } from "../api-types.ts";
import { formatDeadline, formatRelative, useNow } from "../dates.ts";
import { Field } from "../ui/field.tsx";
import { TextField } from "../ui/text-field.tsx";
import {
  describeSchedule,
  type Frequency,
  frequencyLabels,
  type GraceUnit,
  type ScheduleForm,
  scheduleInput,
  weekdays,
} from "./schedule.ts";

export interface NotificationSettings {
  schedule: ScheduleForm;
  syncMode: Delivery["syncMode"];
  threshold: string;
  notificationEmail: string;
}

const monthDays = Array.from({ length: 31 }, (_, i) => String(i + 1));
const dayPlaceholders: Record<Frequency, string> = {
  none: "—",
  hourly: "Every hour",
  daily: "Every day",
  weekdays: "Monday to Friday",
  weekly: "",
  monthly: "",
};

/**
 * When files are expected (and who is emailed when one is missed), how a file
 * is applied (upsert or full sync with its safety threshold) and the extra
 * address to notify.
 */
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
  const s = value.schedule;
  const set = (patch: Partial<ScheduleForm>) => onChange({ ...value, schedule: { ...s, ...patch } });
  const off = s.frequency === "none";
  const timeZone = delivery.schedule.timeZone;
  const checked = scheduleInput(s);
  const minute = String(Number(s.minute) || 0).padStart(2, "0");

  return (
    <div className="notifications-tab">
      <section className="schedule-section" aria-labelledby="schedule-heading">
        <h3 id="schedule-heading" className="section-label">
          Expected files
        </h3>
        <div className="schedule-grid">
          <Field label="Expected File Frequency" error={errors["schedule.frequency"] ?? errors.schedule}>
            {(control) => (
              <select
                {...control}
                value={s.frequency}
                onChange={(e) => set({ frequency: e.currentTarget.value as Frequency })}
              >
                {(Object.keys(frequencyLabels) as Frequency[]).map((f) => (
                  <option key={f} value={f}>
                    {frequencyLabels[f]}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {s.frequency === "weekly" ? (
            <Field label="Day of the week" error={errors["schedule.day"]}>
              {(control) => (
                <select {...control} value={s.weekday} onChange={(e) => set({ weekday: e.currentTarget.value })}>
                  {weekdays.map((d) => (
                    <option key={d.value} value={d.value}>
                      {d.label}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          ) : s.frequency === "monthly" ? (
            <Field
              label="Day of the month"
              hint={Number(s.monthDay) >= 29 ? "The last day in shorter months" : undefined}
              error={errors["schedule.day"]}
            >
              {(control) => (
                <select {...control} value={s.monthDay} onChange={(e) => set({ monthDay: e.currentTarget.value })}>
                  {monthDays.map((d) => (
                    <option key={d} value={d}>
                      {d}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          ) : (
            <Field label="Day" error={errors["schedule.day"]}>
              {(control) => (
                <select {...control} disabled value="">
                  <option value="">{dayPlaceholders[s.frequency]}</option>
                </select>
              )}
            </Field>
          )}
          {s.frequency === "hourly" ? (
            <Field
              label="Expected by"
              hint={`at minute :${minute} of every hour`}
              error={errors["schedule.expectedBy"]}
            >
              {(control) => (
                <span className="input-adorned">
                  <span className="input-prefix" aria-hidden="true">
                    :
                  </span>
                  <input
                    {...control}
                    type="number"
                    inputMode="numeric"
                    min={0}
                    max={59}
                    step={1}
                    value={s.minute}
                    onChange={(e) => set({ minute: e.currentTarget.value })}
                  />
                </span>
              )}
            </Field>
          ) : (
            <Field label="Expected by" hint={off ? undefined : timeZone} error={errors["schedule.expectedBy"]}>
              {(control) => (
                <input
                  {...control}
                  type="time"
                  step={60}
                  disabled={off}
                  value={s.expectedBy}
                  onChange={(e) => set({ expectedBy: e.currentTarget.value })}
                />
              )}
            </Field>
          )}
          <Field label="Grace period" error={errors["schedule.graceMinutes"]}>
            {(control) => (
              <span className="input-row">
                <input
                  {...control}
                  type="number"
                  inputMode="numeric"
                  min={0}
                  step={1}
                  disabled={off}
                  value={s.grace}
                  onChange={(e) => set({ grace: e.currentTarget.value })}
                />
                <select
                  aria-label="Grace period unit"
                  className="unit-select"
                  disabled={off}
                  value={s.graceUnit}
                  onChange={(e) => set({ graceUnit: e.currentTarget.value as GraceUnit })}
                >
                  <option value="minutes">minutes</option>
                  <option value="hours">hours</option>
                </select>
              </span>
            )}
          </Field>
        </div>
        <p className="schedule-summary">
          {off
            ? "No alerts: Sluice does not check when this delivery's files arrive."
            : "input" in checked
              ? describeSchedule(checked.input)
              : "Complete the fields above to see when alerts go out."}{" "}
          <span className="muted">Times are in the account's time zone, {timeZone}.</span>
        </p>
        <p className="field-hint">
          Any file sent to this delivery counts as received, Test files too. If none arrives in a window, every active
          Admin and the notification email below are emailed once; if its only files were rejected, the email says
          “received, but rejected”. The next file clears the overdue state.
        </p>
        <SavedSchedule delivery={delivery} />
      </section>

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

/** The saved schedule's state: the deadline being watched, or since when a file is overdue. */
function SavedSchedule({ delivery }: { delivery: Delivery }) {
  const now = useNow();
  const tz = delivery.schedule.timeZone;
  if (delivery.schedule.frequency === "none") return null;
  return (
    <p className="schedule-state">
      {delivery.overdue && delivery.overdueSince !== null ? (
        <span className="badge badge-negative" title={`Overdue since ${formatDeadline(delivery.overdueSince, tz)}`}>
          <span className="badge-dot" aria-hidden="true" />
          Overdue since {formatDeadline(delivery.overdueSince, tz)}
        </span>
      ) : null}
      {delivery.status !== "enabled" ? (
        <span>Monitoring is paused while this delivery is disabled.</span>
      ) : delivery.nextExpectedBy !== null ? (
        <span>
          Next deadline (with grace): <strong>{formatDeadline(delivery.nextExpectedBy, tz)}</strong>{" "}
          <span className="muted">({formatRelative(delivery.nextExpectedBy, now)})</span>
        </span>
      ) : null}
    </p>
  );
}
