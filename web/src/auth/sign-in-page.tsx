import { type FormEvent, useState } from "react";
import { api, unwrap } from "../api-client.ts";
import type { Session } from "../api-types.ts";
import { ApiProblem, messageOf } from "../problem.ts";
import { Notice } from "../ui/notice.tsx";
import { TextField } from "../ui/text-field.tsx";
import { AuthLayout } from "./auth-layout.tsx";

/** Email and password; on success the session cookie is set and the CSRF token kept in memory. */
export function SignInPage({
  notice,
  email: initialEmail,
  onSignedIn,
}: {
  notice?: string | undefined;
  email?: string | undefined;
  onSignedIn: (session: Session) => void;
}) {
  const [email, setEmail] = useState(initialEmail ?? "");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (!email.trim()) local.email = "Enter your email";
    if (!password) local.password = "Enter your password";
    setErrors(local);
    setError("");
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      const session = await unwrap(api.sessions.$post({ json: { email: email.trim(), password } }), {
        expect401: true,
      });
      onSignedIn(session);
    } catch (e) {
      setError(messageOf(e));
      if (e instanceof ApiProblem) setErrors(e.fieldErrors());
      setBusy(false);
    }
  }

  return (
    <AuthLayout title="Sign in" intro="Sign in to manage your organisation's inbound file deliveries.">
      <form className="form" onSubmit={submit} noValidate>
        {notice && !error ? <Notice tone="info">{notice}</Notice> : null}
        {error ? <Notice tone="error">{error}</Notice> : null}
        <TextField
          label="Email"
          type="email"
          value={email}
          onChange={(e) => setEmail(e.currentTarget.value)}
          error={errors.email}
          autoComplete="username"
          autoFocus={!initialEmail}
        />
        <TextField
          label="Password"
          type="password"
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
          error={errors.password}
          autoComplete="current-password"
          autoFocus={Boolean(initialEmail)}
        />
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </AuthLayout>
  );
}
