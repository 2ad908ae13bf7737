import { useId } from "react";
import { CopyButton } from "./copy-button.tsx";

/** A read-only value (URL, username, password, key) with a copy button. */
export function CopyField({ label, value, secret }: { label: string; value: string; secret?: boolean }) {
  const id = useId();
  return (
    <div className="field copy-field">
      <label htmlFor={id}>{label}</label>
      <div className="input-row">
        <input
          id={id}
          className={`mono${secret ? " secret" : ""}`}
          value={value}
          readOnly
          spellCheck={false}
          onFocus={(e) => e.currentTarget.select()}
        />
        <CopyButton value={value} label={label} />
      </div>
    </div>
  );
}
