import { useEffect, useState } from "react";
import { api, unwrap } from "../api-client.ts";
import { formatDateTime } from "../dates.ts";

type Timeline = Awaited<ReturnType<typeof load>>;

const load = (id: string, days: number) =>
  unwrap(api.deliveries[":id"].timeline.$get({ param: { id }, query: { days: String(days) } }));

const WIDTH = 960;
const HEIGHT = 84;
const BAND_Y = 18;
const BAND_H = 26;
const stateLabels = {
  received: "received",
  rejected: "received, but rejected",
  missed: "missed",
  open: "open",
} as const;

/**
 * File arrivals against the expected windows, last two weeks: each window a band (green
 * received, amber rejected, red missed, grey still open), each file a tick above it. Drawn as
 * SVG (no chart library), with every mark titled for hover and a text summary for screen readers.
 */
export function DeliveryTimeline({ deliveryId, refreshKey }: { deliveryId: string; refreshKey: number }) {
  const days = 14;
  const [data, setData] = useState<Timeline | null>(null);
  const [error, setError] = useState<string | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: refreshKey re-fetches when the file list changes
  useEffect(() => {
    let live = true;
    load(deliveryId, days).then(
      (t) => live && setData(t),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [deliveryId, refreshKey]);

  if (error) return <p className="muted">The timeline could not be loaded: {error}</p>;
  if (!data) return <div className="timeline-skeleton skeleton" style={{ height: HEIGHT }} />;

  const span = data.to - data.from;
  const x = (t: number) => Math.max(0, Math.min(WIDTH, ((t - data.from) / span) * WIDTH));
  const missed = data.windows.filter((w) => w.state === "missed").length;
  const received = `${data.files.length} ${data.files.length === 1 ? "file" : "files"} in the last ${days} days`;
  const summary =
    data.frequency === "none"
      ? `${received}; this delivery is not monitored.`
      : `${received}; ${missed} of ${data.windows.filter((w) => w.state !== "open").length} expected windows missed.`;

  return (
    <figure className="timeline">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary} preserveAspectRatio="none">
        {data.windows.map((w) => (
          <rect
            key={w.deadline}
            className={`timeline-window timeline-${w.state}`}
            x={x(w.start) + 0.5}
            y={BAND_Y}
            width={Math.max(1, x(Math.min(w.deadline, data.to)) - x(w.start) - 1)}
            height={BAND_H}
          >
            <title>
              {`Window ending ${formatDateTime(w.deadline, data.timeZone)}: ${stateLabels[w.state]}${w.files ? ` (${w.files} file${w.files === 1 ? "" : "s"})` : ""}`}
            </title>
          </rect>
        ))}
        {data.files.map((f) => (
          <line
            key={f.id}
            className={`timeline-file timeline-file-${f.status}`}
            x1={x(f.receivedAt)}
            x2={x(f.receivedAt)}
            y1={4}
            y2={BAND_Y + BAND_H}
          >
            <title>{`${f.name}${f.isTest ? " (Test)" : ""}, ${f.status}, ${formatDateTime(f.receivedAt, data.timeZone)}`}</title>
          </line>
        ))}
        {Array.from({ length: days + 1 }, (_, i) => data.from + (i * span) / days).map((tick) => (
          <line
            key={tick}
            className="timeline-grid"
            x1={x(tick)}
            x2={x(tick)}
            y1={BAND_Y + BAND_H + 4}
            y2={BAND_Y + BAND_H + 10}
          />
        ))}
      </svg>
      <figcaption className="muted">
        {summary}{" "}
        <span className="timeline-key">
          Ticks are files; bands are expected windows (green received, amber rejected, red missed, grey open).
        </span>
      </figcaption>
    </figure>
  );
}
