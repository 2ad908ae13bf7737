import type { Credentials } from "../api-types.ts";
import { CopyField } from "../ui/copy-field.tsx";

/** The SFTP URL, username and password an IT team needs, each with a copy button. */
export function ConnectionDetails({ credentials }: { credentials: Credentials }) {
  return (
    <div className="connection-details">
      <CopyField label="SFTP URL" value={credentials.sftpUrl} />
      <CopyField label="Username" value={credentials.username} />
      <CopyField label="Password" value={credentials.password} secret />
    </div>
  );
}
