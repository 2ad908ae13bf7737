import type { Delivery } from "../api-types.ts";
import { CopyButton } from "../ui/copy-button.tsx";
import { CopyField } from "../ui/copy-field.tsx";

/** The OpenSSH command line for this delivery (`-P` only when the port is not 22; IPv6 hosts in brackets). */
export function sftpCommand(sftp: Delivery["sftp"]): string {
  const host = sftp.host.includes(":") ? `[${sftp.host}]` : sftp.host;
  return `sftp ${sftp.port === 22 ? "" : `-P ${sftp.port} `}${sftp.username}@${host}`;
}

/** What to tell IT when nothing has arrived yet: where to connect and how to send a first file. */
export function UploadHelp({ delivery, onShowPassword }: { delivery: Delivery; onShowPassword: () => void }) {
  const sample = delivery.kind === "user_sync" ? "users.csv" : "projects.csv";
  const command = sftpCommand(delivery.sftp);
  return (
    <div className="upload-help">
      <div>
        <p className="empty-title">No files received yet</p>
        <p className="muted">
          Give the team that sends the files these details. Each file they upload appears here as soon as it is
          received, then moves on to its import.
        </p>
      </div>
      <div className="upload-help-grid">
        <div className="connection-details">
          <CopyField label="SFTP URL" value={delivery.sftp.url} />
          <CopyField label="Username" value={delivery.sftp.username} />
          <p className="field-hint">
            The password is on the delivery's{" "}
            <button type="button" className="link-button" onClick={onShowPassword}>
              Connection tab
            </button>
            .
          </p>
        </div>
        <div className="sample-session">
          <div className="sample-session-header">
            <h3>Try it with OpenSSH</h3>
            <CopyButton value={command} label="sftp command" />
          </div>
          <pre className="terminal">
            <code>
              <span className="prompt" aria-hidden="true">
                ${" "}
              </span>
              {command}
              {"\n"}
              <span className="muted-line">{`${delivery.sftp.username}@${delivery.sftp.host}'s password: ••••••••`}</span>
              {"\n"}
              <span className="prompt">sftp&gt; </span>
              {`put ${sample}`}
              {"\n"}
              <span className="prompt">sftp&gt; </span>
              bye
            </code>
          </pre>
          <p className="field-hint">
            WinSCP, FileZilla, lftp and rclone work too. A file whose name contains the word <code>test</code> (e.g.{" "}
            <code>{sample.replace(".csv", "-test.csv")}</code>) is checked in full but changes nothing.
          </p>
        </div>
      </div>
    </div>
  );
}
