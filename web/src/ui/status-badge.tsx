const tones: Record<string, string> = {
  enabled: "positive",
  disabled: "neutral",
  active: "positive",
  revoked: "negative",
  // Received files
  queued: "neutral",
  importing: "info",
  applied: "positive",
  tested: "info",
  rejected: "negative",
  held: "warning",
  failed: "negative",
  // Outbox emails
  pending: "neutral",
  sending: "info",
  sent: "positive",
};

/** A small coloured label for a status word. */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return (
    <span className={`badge badge-${tones[status] ?? "neutral"}`}>
      <span className="badge-dot" aria-hidden="true" />
      {label ?? status.charAt(0).toUpperCase() + status.slice(1)}
    </span>
  );
}
