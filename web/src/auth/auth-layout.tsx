import type { ReactNode } from "react";
import { Logo } from "../shell/logo.tsx";

/** The centred card of the signed-out pages. */
export function AuthLayout({ title, intro, children }: { title: string; intro?: ReactNode; children: ReactNode }) {
  return (
    <main className="auth-page">
      <div className="auth-brand">
        <Logo />
        <span>Sluice</span>
      </div>
      <div className="auth-card">
        <h1>{title}</h1>
        {intro ? <p className="auth-intro">{intro}</p> : null}
        {children}
      </div>
    </main>
  );
}
