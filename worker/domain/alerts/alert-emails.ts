/**
 * The words of delivery alerts: plain text and HTML that name the delivery,
 * the window in the account's time zone, when the last file arrived, and a link.
 */

export interface AlertContext {
  deliveryName: string;
  kindName: string;
  timeZone: string;
  windowStart: number;
  deadline: number;
  lastReceivedAt: number | null;
  link: string;
}

function when(t: number, timeZone: string) {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone,
    dateStyle: "full",
    timeStyle: "short",
  }).format(new Date(t));
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

function render(subject: string, lines: string[], ctx: AlertContext) {
  const text = `${lines.join("\n\n")}\n\nOpen the delivery: ${ctx.link}\n`;
  const html = `<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">${lines
    .map((l) => `<p>${escapeHtml(l)}</p>`)
    .join(
      "",
    )}<p><a href="${escapeHtml(ctx.link)}">Open ${escapeHtml(ctx.deliveryName)} in Sluice</a></p></body></html>`;
  return { subject, text, html };
}

function lastFileLine(ctx: AlertContext) {
  return ctx.lastReceivedAt === null
    ? "No file has ever been received for this delivery."
    : `The last file arrived ${when(ctx.lastReceivedAt, ctx.timeZone)} (${ctx.timeZone}).`;
}

export function missedFileEmail(ctx: AlertContext) {
  return render(
    `Sluice: no file received for ${ctx.deliveryName}`,
    [
      `No file was received for the ${ctx.kindName} delivery "${ctx.deliveryName}" by ${when(ctx.deadline, ctx.timeZone)} (${ctx.timeZone}).`,
      `The window began ${when(ctx.windowStart, ctx.timeZone)}.`,
      lastFileLine(ctx),
      "Ask your IT team to check the scheduled export. This alert is sent once per missed window.",
    ],
    ctx,
  );
}

export function rejectedFileEmail(ctx: AlertContext) {
  return render(
    `Sluice: file received, but rejected, for ${ctx.deliveryName}`,
    [
      `A file was received for the ${ctx.kindName} delivery "${ctx.deliveryName}" in the window ending ${when(ctx.deadline, ctx.timeZone)} (${ctx.timeZone}), but it was rejected, so nothing was imported.`,
      lastFileLine(ctx),
      "Open the file's report to see why, then ask your IT team to send a corrected file.",
    ],
    ctx,
  );
}

export function receivedAgainEmail(ctx: AlertContext) {
  return render(
    `Sluice: files are arriving again for ${ctx.deliveryName}`,
    [
      `A file arrived for the ${ctx.kindName} delivery "${ctx.deliveryName}" ${when(ctx.lastReceivedAt ?? ctx.deadline, ctx.timeZone)} (${ctx.timeZone}). It is no longer overdue.`,
    ],
    ctx,
  );
}
