import type { ReactNode } from "react";

/** An inline message: errors are announced at once, the rest politely. */
export function Notice({ tone, children }: { tone: "error" | "info" | "success" | "warning"; children: ReactNode }) {
  return (
    <div className={`notice notice-${tone}`} role={tone === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}
