import { type FormEvent, useState } from "react";
import { api, unwrap } from "../api-client.ts";
import type { CreatedApiKey } from "../api-types.ts";
import { ApiProblem, messageOf } from "../problem.ts";
import { CopyField } from "../ui/copy-field.tsx";
import { Dialog } from "../ui/dialog.tsx";
import { Notice } from "../ui/notice.tsx";
import { TextField } from "../ui/text-field.tsx";

type Scope = "api" | "scim";

const scopeInfo: Record<Scope, { title: string; description: string }> = {
  api: { title: "API", description: "The HTTP API under /api/v1: deliveries, files and imports." },
  scim: { title: "SCIM", description: "SCIM 2.0 user provisioning under /scim/v2, for identity providers." },
};

/** Creates a key and shows it once; after this dialog closes only its prefix is ever shown. */
export function NewApiKeyDialog({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<Scope[]>(["api"]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (!name.trim()) local.name = "Enter a name, e.g. the system that will use it";
    if (scopes.length === 0) local.scopes = "Choose at least one scope";
    setErrors(local);
    setError("");
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      const key = await unwrap(api["api-keys"].$post({ json: { name: name.trim(), scopes } }));
      setCreated(key);
      onCreated();
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
        title="API key created"
        onClose={onClose}
        footer={
          <button type="button" className="button button-primary" onClick={onClose} data-autofocus>
            I have copied the key
          </button>
        }
      >
        <Notice tone="warning">
          Copy this key now. It is shown only once: Sluice keeps only a hash of it and cannot show it again.
        </Notice>
        <CopyField label={`API key “${created.name}”`} value={created.key} secret />
        <p className="muted">
          Send it as <code>Authorization: Bearer …</code>. Scopes: {created.scopes.join(", ")}.
        </p>
      </Dialog>
    );
  }

  return (
    <Dialog title="Create API key" onClose={onClose}>
      <form className="form" onSubmit={submit} noValidate>
        {error ? <Notice tone="error">{error}</Notice> : null}
        <TextField
          label="Name"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={errors.name}
          placeholder="HR system nightly export"
          maxLength={100}
          autoFocusOnOpen
        />
        <fieldset className="choice-group" aria-describedby={errors.scopes ? "scopes-error" : undefined}>
          <legend>Scopes</legend>
          {(Object.keys(scopeInfo) as Scope[]).map((s) => (
            <label key={s} className="choice-card">
              <input
                type="checkbox"
                checked={scopes.includes(s)}
                onChange={(e) => {
                  const on = e.currentTarget.checked;
                  setScopes((list) => (on ? [...list, s] : list.filter((x) => x !== s)));
                }}
              />
              <span className="choice-text">
                <span className="choice-title">{scopeInfo[s].title}</span>
                <span className="choice-description">{scopeInfo[s].description}</span>
              </span>
            </label>
          ))}
          {errors.scopes ? (
            <p id="scopes-error" className="field-error">
              {errors.scopes}
            </p>
          ) : null}
        </fieldset>
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? "Creating…" : "Create key"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
