import { useId, useRef, useState } from "react";
import { checkEntry } from "./ip-entry-check.ts";

export interface IpRow {
  key: number;
  value: string;
  /** The Worker's message for this entry after the last Update. */
  serverError?: string | undefined;
}

let nextKey = 1;
export const ipRow = (value = ""): IpRow => ({ key: nextKey++, value });

/** Splits pasted text (one entry a line, or comma/space separated) into entries. */
const splitEntries = (text: string) => text.split(/[\s,;]+/).filter(Boolean);

/**
 * Allowed IP Addresses, one entry a row. Each entry is checked as it is typed
 * (a valid one says what it is; an invalid one says why once the row is left),
 * and the Worker's per-entry errors from the last Update show beside their row.
 */
export function AllowedIpsEditor({ rows, onChange }: { rows: IpRow[]; onChange: (rows: IpRow[]) => void }) {
  const [touched, setTouched] = useState<Set<number>>(() => new Set());
  const list = useRef<HTMLOListElement>(null);
  const headingId = useId();
  const helpId = useId();

  const focusRow = (key: number) =>
    requestAnimationFrame(() => list.current?.querySelector<HTMLInputElement>(`[data-row="${key}"]`)?.focus());

  function update(key: number, value: string) {
    onChange(rows.map((r) => (r.key === key ? { key, value } : r)));
  }

  function add(after?: number, values: string[] = [""]) {
    const fresh = values.map((v) => ipRow(v));
    const index = after === undefined ? rows.length : rows.findIndex((r) => r.key === after) + 1;
    onChange([...rows.slice(0, index), ...fresh, ...rows.slice(index)]);
    const last = fresh[fresh.length - 1];
    if (last) focusRow(last.key);
  }

  function remove(key: number) {
    const index = rows.findIndex((r) => r.key === key);
    const rest = rows.filter((r) => r.key !== key);
    onChange(rest);
    const neighbour = rest[Math.min(index, rest.length - 1)];
    if (neighbour) focusRow(neighbour.key);
    else requestAnimationFrame(() => list.current?.parentElement?.querySelector<HTMLElement>(".add-ip")?.focus());
  }

  return (
    <section className="ip-editor" aria-labelledby={headingId}>
      <h3 id={headingId}>Allowed IP Addresses</h3>
      <p id={helpId} className="field-hint">
        Only these addresses may connect. One entry a row: a single address (<code>203.0.113.7</code>), a range (
        <code>10.0.0.1-10.0.0.50</code>) or a CIDR block (<code>2001:db8::/32</code>). Leave empty to allow any address.
      </p>
      {rows.length === 0 ? <p className="ip-empty">Any IP address may connect.</p> : null}
      <ol ref={list} className="ip-rows">
        {rows.map((row, index) => {
          const trimmed = row.value.trim();
          const check = trimmed ? checkEntry(trimmed) : null;
          const clientError = check && !check.ok && touched.has(row.key) ? check.message : "";
          const error = row.serverError || clientError;
          const inputId = `ip-${row.key}`;
          return (
            <li key={row.key} className={`ip-row${error ? " has-error" : ""}`}>
              <label htmlFor={inputId} className="visually-hidden">
                Allowed IP address {index + 1}
              </label>
              <input
                id={inputId}
                data-row={row.key}
                className="mono"
                value={row.value}
                spellCheck={false}
                autoComplete="off"
                placeholder="e.g. 203.0.113.0/24"
                aria-invalid={error ? true : undefined}
                aria-describedby={`${inputId}-status ${helpId}`}
                onChange={(e) => update(row.key, e.currentTarget.value)}
                onBlur={() => setTouched((t) => (t.has(row.key) ? t : new Set(t).add(row.key)))}
                onKeyDown={(e) => {
                  if (e.key === "Enter") {
                    e.preventDefault();
                    add(row.key);
                  }
                }}
                onPaste={(e) => {
                  const entries = splitEntries(e.clipboardData.getData("text"));
                  if (entries.length < 2) return;
                  e.preventDefault();
                  const [first = "", ...more] = entries;
                  const replaced = rows.map((r) => (r.key === row.key ? { key: r.key, value: first } : r));
                  const fresh = more.map((v) => ipRow(v));
                  const at = replaced.findIndex((r) => r.key === row.key) + 1;
                  onChange([...replaced.slice(0, at), ...fresh, ...replaced.slice(at)]);
                }}
              />
              <button
                type="button"
                className="icon-button"
                aria-label={`Remove allowed IP address ${index + 1}`}
                onClick={() => remove(row.key)}
              >
                <span aria-hidden="true">×</span>
              </button>
              <p id={`${inputId}-status`} className={error ? "field-error ip-status" : "ip-status ip-ok"}>
                {error ? error : check?.ok ? `✓ ${check.description}` : ""}
              </p>
            </li>
          );
        })}
      </ol>
      <button type="button" className="button button-small add-ip" onClick={() => add()}>
        + Add address
      </button>
    </section>
  );
}
