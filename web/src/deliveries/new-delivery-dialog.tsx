import { type FormEvent, useState } from "react";
import { api, unwrap } from "../api-client.ts";
import { type Credentials, type Delivery, type DeliveryKind, kindLabels } from "../api-types.ts";
import { ApiProblem, messageOf } from "../problem.ts";
import { Dialog } from "../ui/dialog.tsx";
import { Notice } from "../ui/notice.tsx";
import { TextField } from "../ui/text-field.tsx";
import { ConnectionDetails } from "./connection-details.tsx";

const kindDescriptions: Record<DeliveryKind, string> = {
  user_sync: "Create, update and deactivate users from your HR or identity system's export.",
  project_sync: "Keep projects, clients and their approvers in step with your project system.",
};

/** New Inbound: pick User Sync or Project Sync, then show the generated connection details once. */
export function NewDeliveryDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (d: Delivery) => void }) {
  const [kind, setKind] = useState<DeliveryKind>("user_sync");
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<{ delivery: Delivery; credentials: Credentials } | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError("");
    setErrors({});
    try {
      const result = await unwrap(
        api.deliveries.$post({ json: { kind, ...(name.trim() ? { name: name.trim() } : {}) } }),
      );
      setCreated(result);
      onCreated(result.delivery);
    } catch (e) {
      setError(messageOf(e));
      if (e instanceof ApiProblem) setErrors(e.fieldErrors());
    } finally {
      setBusy(false);
    }
  }

  if (created) {
    return (
      <Dialog
        title={`${created.delivery.name} is ready`}
        onClose={onClose}
        footer={
          <button type="button" className="button button-primary" onClick={onClose} data-autofocus>
            Done
          </button>
        }
      >
        <Notice tone="success">
          The {kindLabels[created.delivery.kind]} delivery was added. Give these details to the team that sends the
          files.
        </Notice>
        <ConnectionDetails credentials={created.credentials} />
        <p className="muted">
          You can reveal the password again later on the delivery's <strong>Connection</strong> tab (Actions ›
          Configure).
        </p>
      </Dialog>
    );
  }

  return (
    <Dialog title="New inbound file delivery" onClose={onClose}>
      <form className="form" onSubmit={submit} noValidate>
        {error ? <Notice tone="error">{error}</Notice> : null}
        <fieldset className="choice-group">
          <legend>What will this delivery import?</legend>
          {(Object.keys(kindLabels) as DeliveryKind[]).map((k) => (
            <label key={k} className="choice-card">
              <input
                type="radio"
                name="kind"
                value={k}
                checked={kind === k}
                onChange={() => setKind(k)}
                data-autofocus={k === kind ? "" : undefined}
              />
              <span className="choice-text">
                <span className="choice-title">{kindLabels[k]}</span>
                <span className="choice-description">{kindDescriptions[k]}</span>
              </span>
            </label>
          ))}
          {errors.kind ? <p className="field-error">{errors.kind}</p> : null}
        </fieldset>
        <TextField
          label="Name (optional)"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          placeholder={kindLabels[kind]}
          hint="Helps you tell deliveries apart, e.g. “Nightly HR export”."
          error={errors.name}
          maxLength={120}
        />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? "Adding…" : "+ Add to my account"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
