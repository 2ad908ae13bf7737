import { useCallback, useEffect, useId, useRef, useState } from "react";
import { api, unwrap, unwrapEmpty } from "../api-client.ts";
import type { PublicKey } from "../api-types.ts";
import { formatDateTime } from "../dates.ts";
import { ApiProblem, messageOf } from "../problem.ts";
import { useSession } from "../session-context.ts";
import { ConfirmDialog } from "../ui/confirm-dialog.tsx";
import { Notice } from "../ui/notice.tsx";

/**
 * SSH public keys IT may log in with instead of the password. Adding and
 * removing take effect at once (they are not part of the dialog's Update).
 */
export function PublicKeysSection({ deliveryId }: { deliveryId: string }) {
  const { account } = useSession();
  const [keys, setKeys] = useState<PublicKey[] | null>(null);
  const [loadError, setLoadError] = useState("");
  const [text, setText] = useState("");
  const [fieldError, setFieldError] = useState("");
  const [adding, setAdding] = useState(false);
  const [added, setAdded] = useState("");
  const [removing, setRemoving] = useState<PublicKey | null>(null);
  const headingId = useId();
  const inputId = useId();
  const input = useRef<HTMLTextAreaElement>(null);

  const load = useCallback(async () => {
    try {
      setKeys((await unwrap(api.deliveries[":id"]["public-keys"].$get({ param: { id: deliveryId } }))).publicKeys);
      setLoadError("");
    } catch (e) {
      setLoadError(messageOf(e));
    }
  }, [deliveryId]);

  useEffect(() => {
    void load();
  }, [load]);

  async function add() {
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
    setAdded("");
    if (lines.length === 0) {
      setFieldError("Paste a public key, e.g. the contents of ~/.ssh/id_ed25519.pub");
      input.current?.focus();
      return;
    }
    if (lines.length > 1) {
      setFieldError("Paste one key at a time: this text has several lines");
      input.current?.focus();
      return;
    }
    setAdding(true);
    setFieldError("");
    try {
      const key = await unwrap(
        api.deliveries[":id"]["public-keys"].$post({ param: { id: deliveryId }, json: { publicKey: lines[0] ?? "" } }),
      );
      setKeys((list) => [...(list ?? []).filter((k) => k.id !== key.id), key]);
      setText("");
      setAdded(`Key ${key.fingerprint} added. It can log in now.`);
    } catch (e) {
      const fields = e instanceof ApiProblem ? e.fieldErrors() : {};
      setFieldError(
        e instanceof ApiProblem && e.status === 409
          ? "This key is already registered for this delivery"
          : (fields.publicKey ?? messageOf(e)),
      );
      input.current?.focus();
    } finally {
      setAdding(false);
    }
  }

  return (
    <section className="keys-section" aria-labelledby={headingId}>
      <h3 id={headingId}>Public keys</h3>
      <p className="field-hint">
        IT can log in with one of these SSH keys instead of the password. Keys are added and removed at once: there is
        no need to Update.
      </p>
      {loadError ? <Notice tone="error">{loadError}</Notice> : null}
      {keys === null && !loadError ? (
        <p className="list-placeholder muted" aria-busy="true">
          Loading keys…
        </p>
      ) : null}
      {keys?.length === 0 ? (
        <p className="list-placeholder muted">No keys yet: the password is the only way in.</p>
      ) : null}
      {keys && keys.length > 0 ? (
        <div className="table-wrap">
          <table className="table table-compact">
            <caption className="visually-hidden">Registered public keys</caption>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Added</th>
                <th scope="col" className="col-actions">
                  <span className="visually-hidden">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id}>
                  <td>
                    <div className="key-cell">
                      <code className="mono fingerprint">{k.fingerprint}</code>
                      <span className="key-meta">
                        <span className="key-algorithm">{k.algorithm}</span>
                        {k.comment ? (
                          <span className="key-comment" title={k.comment}>
                            {k.comment}
                          </span>
                        ) : (
                          <span className="muted">no comment</span>
                        )}
                      </span>
                    </div>
                  </td>
                  <td className="nowrap">{formatDateTime(k.createdAt, account.timeZone)}</td>
                  <td className="col-actions">
                    <button
                      type="button"
                      className="button button-small button-danger-quiet"
                      aria-label={`Remove key ${k.comment ?? k.fingerprint}`}
                      onClick={() => setRemoving(k)}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <div className="field key-add">
        <label htmlFor={inputId}>Add a public key</label>
        <div className="key-add-row">
          <textarea
            ref={input}
            id={inputId}
            className="mono"
            rows={2}
            value={text}
            spellCheck={false}
            autoComplete="off"
            placeholder="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA… it@example.com"
            aria-invalid={fieldError ? true : undefined}
            aria-describedby={`${inputId}-status`}
            onChange={(e) => {
              setText(e.currentTarget.value);
              if (fieldError) setFieldError("");
            }}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey) {
                e.preventDefault();
                void add();
              }
            }}
          />
          <button type="button" className="button" onClick={() => void add()} disabled={adding}>
            {adding ? "Adding…" : "Add key"}
          </button>
        </div>
        <p id={`${inputId}-status`} className={fieldError ? "field-error" : "field-hint"} aria-live="polite">
          {fieldError ||
            added ||
            "One line of a .pub file, such as ~/.ssh/id_ed25519.pub. Ed25519, ECDSA and RSA keys."}
        </p>
      </div>
      {removing ? (
        <ConfirmDialog
          title="Remove this key?"
          confirmLabel="Remove key"
          danger
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            await unwrapEmpty(
              api.deliveries[":id"]["public-keys"][":keyId"].$delete({
                param: { id: deliveryId, keyId: removing.id },
              }),
            );
            setKeys((list) => list?.filter((k) => k.id !== removing.id) ?? []);
            setRemoving(null);
            setAdded(`Key ${removing.fingerprint} removed.`);
            // Its Remove button is gone: carry on from the add field.
            requestAnimationFrame(() => input.current?.focus());
          }}
        >
          <p>
            Logins with the {removing.algorithm} key <code className="mono">{removing.fingerprint}</code>
            {removing.comment ? ` (${removing.comment})` : ""} are refused from now on.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
