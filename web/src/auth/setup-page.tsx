import { type FormEvent, useId, useMemo, useState } from "react";
import { api, unwrap } from "../api-client.ts";
import { ApiProblem, messageOf } from "../problem.ts";
import { Notice } from "../ui/notice.tsx";
import { TextField } from "../ui/text-field.tsx";
import { AuthLayout } from "./auth-layout.tsx";

const MIN_PASSWORD = 12;

function timeZones(): string[] {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return ["UTC"];
  }
}

/** First run: name the account and create its first admin. */
export function SetupPage({ tokenRequired, onDone }: { tokenRequired: boolean; onDone: (email: string) => void }) {
  const zones = useMemo(timeZones, []);
  const [form, setForm] = useState({
    accountName: "",
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
    firstName: "",
    lastName: "",
    email: "",
    password: "",
    confirm: "",
    setupToken: "",
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const tzId = useId();

  const set = (key: keyof typeof form) => (e: { currentTarget: { value: string } }) => {
    const value = e.currentTarget.value;
    setForm((f) => ({ ...f, [key]: value }));
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (!form.accountName.trim()) local.accountName = "Enter your organisation's name";
    if (!form.firstName.trim()) local["admin.firstName"] = "Enter your first name";
    if (!form.lastName.trim()) local["admin.lastName"] = "Enter your last name";
    if (!form.email.trim()) local["admin.email"] = "Enter your work email";
    if (form.password.length < MIN_PASSWORD) local["admin.password"] = `Use at least ${MIN_PASSWORD} characters`;
    else if (form.password !== form.confirm) local.confirm = "The passwords do not match";
    if (tokenRequired && !form.setupToken.trim()) local.setupToken = "Enter the setup token";
    setErrors(local);
    setError("");
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      await unwrap(
        api.setup.$post({
          json: {
            accountName: form.accountName.trim(),
            timeZone: form.timeZone,
            admin: {
              email: form.email.trim(),
              firstName: form.firstName.trim(),
              lastName: form.lastName.trim(),
              password: form.password,
            },
            ...(tokenRequired ? { setupToken: form.setupToken.trim() } : {}),
          },
        }),
      );
      onDone(form.email.trim());
    } catch (e) {
      setError(messageOf(e));
      if (e instanceof ApiProblem) setErrors(e.fieldErrors());
      setBusy(false);
    }
  }

  return (
    <AuthLayout
      title="Set up Sluice"
      intro="Create your organisation's account and its first administrator. You can add deliveries as soon as you sign in."
    >
      <form className="form" onSubmit={submit} noValidate>
        {error ? <Notice tone="error">{error}</Notice> : null}
        <fieldset className="form-section">
          <legend>Organisation</legend>
          <TextField
            label="Account name"
            value={form.accountName}
            onChange={set("accountName")}
            error={errors.accountName}
            autoComplete="organization"
            autoFocus
          />
          <div className="field">
            <label htmlFor={tzId}>Time zone</label>
            <select
              id={tzId}
              value={form.timeZone}
              onChange={set("timeZone")}
              aria-invalid={errors.timeZone ? true : undefined}
            >
              {zones.includes(form.timeZone) ? null : <option value={form.timeZone}>{form.timeZone}</option>}
              {zones.map((z) => (
                <option key={z} value={z}>
                  {z.replaceAll("_", " ")}
                </option>
              ))}
            </select>
            <p className="field-hint">Expected file times and reports use this time zone.</p>
            {errors.timeZone ? <p className="field-error">{errors.timeZone}</p> : null}
          </div>
        </fieldset>
        <fieldset className="form-section">
          <legend>Administrator</legend>
          <div className="field-pair">
            <TextField
              label="First name"
              value={form.firstName}
              onChange={set("firstName")}
              error={errors["admin.firstName"]}
              autoComplete="given-name"
            />
            <TextField
              label="Last name"
              value={form.lastName}
              onChange={set("lastName")}
              error={errors["admin.lastName"]}
              autoComplete="family-name"
            />
          </div>
          <TextField
            label="Work email"
            type="email"
            value={form.email}
            onChange={set("email")}
            error={errors["admin.email"]}
            autoComplete="username"
          />
          <TextField
            label="Password"
            type="password"
            value={form.password}
            onChange={set("password")}
            error={errors["admin.password"]}
            hint={`At least ${MIN_PASSWORD} characters.`}
            autoComplete="new-password"
          />
          <TextField
            label="Confirm password"
            type="password"
            value={form.confirm}
            onChange={set("confirm")}
            error={errors.confirm}
            autoComplete="new-password"
          />
          {tokenRequired ? (
            <TextField
              label="Setup token"
              value={form.setupToken}
              onChange={set("setupToken")}
              error={errors.setupToken}
              hint="The SETUP_TOKEN secret this deployment was configured with."
              autoComplete="off"
              spellCheck={false}
            />
          ) : null}
        </fieldset>
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {busy ? "Creating account…" : "Create account"}
        </button>
      </form>
    </AuthLayout>
  );
}
