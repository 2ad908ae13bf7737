/** Turns the raw samples into the table's rows: best of the interleaved reps, ratios, verdicts. */
import { best, fmt, type PutSample, percentile } from "./measure.ts";
import type { Row } from "./report.ts";

export interface Results {
  settings: Record<string, number | boolean>;
  protocol: { relay: PutSample[]; sshd: PutSample[] };
  e2e: { node: PutSample[]; deno: PutSample[]; floor: PutSample[] };
  rssE2e?: PutSample;
  /** The same upload through `tsx relay/main.ts`. */
  rssE2eTsx?: PutSample;
  logins?: Record<string, number[]>;
  large?: { small: PutSample; large: PutSample };
}

const RSS_LIMIT_MB = 150;
/** "Flat": the 2 GiB peak may exceed the 512 MiB peak by at most this much. */
const FLAT_SLACK = 1.15;

const mbps = (xs: PutSample[]) => best(xs.map((x) => x.mbps));
const peakRss = (xs: PutSample[]) => best(xs.map((x) => x.rssMb ?? 0));
const all = (xs: PutSample[]) => xs.map((x) => fmt(x.mbps)).join("/");

function throughputRow(
  id: string,
  measure: string,
  ours: PutSample[],
  base: PutSample[],
  target: number,
  note: string,
): Row {
  const ratio = mbps(ours) / mbps(base);
  return {
    id,
    measure,
    ours: `${fmt(mbps(ours))} MB/s`,
    baseline: `${fmt(mbps(base))} MB/s`,
    ratio,
    target: `≥ ${target.toFixed(1)}×`,
    met: ratio >= target,
    note: `${note}; all reps MB/s: ours ${all(ours)}, baseline ${all(base)}`,
  };
}

function loginRows(logins: Record<string, number[]>): Row[] {
  const sshd = logins.sshd ?? [];
  const rows: Row[] = [];
  const pair = (id: string, who: string, xs: number[] | undefined, p: number, note: string) => {
    if (!xs || xs.length === 0) return;
    const ours = percentile(xs, p);
    const base = percentile(sshd, p);
    rows.push({
      id,
      measure: `login p${p}: ${who} vs sshd (connect+auth+READDIR)`,
      ours: `${fmt(ours)} ms`,
      baseline: `${fmt(base)} ms`,
      ratio: base / ours,
      target: "—",
      met: null,
      note: `ratio = sshd time / relay time; ${xs.length} samples each, interleaved; ${note}`,
    });
  };
  pair("5a", "relay (Node) → Worker", logins.node, 50, "the relay asks the Worker twice (connection check, login)");
  pair("5b", "relay (Node) → Worker", logins.node, 95, "");
  pair("5c", "relay (Deno) → Worker", logins.deno, 50, "");
  pair("5d", "relay (Node), no Worker", logins.discard, 50, "Worker answered in process: the relay's own cost");
  return rows;
}

/** Row 1 without the login each put includes: bytes / (best put time − that target's login p50). */
function transferOnly(r: Results): string {
  const discard = r.logins?.discard;
  const sshd = r.logins?.sshd;
  if (!discard?.length || !sshd?.length) return "";
  const bytes = Number(r.settings.protocolMb) * 1024 * 1024;
  const rate = (xs: PutSample[], login: number) => bytes / 1e6 / ((Math.min(...xs.map((x) => x.ms)) - login) / 1000);
  const ours = rate(r.protocol.relay, percentile(discard, 50));
  const base = rate(r.protocol.sshd, percentile(sshd, 50));
  return `; without login time ${fmt(ours)} vs ${fmt(base)} MB/s = ${(ours / base).toFixed(2)}×`;
}

export function buildRows(r: Results, rssMb: number): Row[] {
  const protoMb = r.settings.protocolMb;
  const e2eMb = r.settings.e2eMb;
  const rows: Row[] = [
    throughputRow(
      "1",
      `SFTP protocol layer, ${protoMb} MiB put: relay (Node, discarding sink) vs OpenSSH sshd → disk`,
      r.protocol.relay,
      r.protocol.sshd,
      1.0,
      `relay peak RSS ${fmt(peakRss(r.protocol.relay))} MB, sshd session ${fmt(peakRss(r.protocol.sshd))} MB${transferOnly(r)}`,
    ),
    throughputRow(
      "2",
      `end to end, ${e2eMb} MiB: sftp → relay (Node) → Worker → local R2 vs HTTP parts → Worker → local R2`,
      r.e2e.node,
      r.e2e.floor,
      0.8,
      `relay (Node) peak RSS ${fmt(peakRss(r.e2e.node))} MB`,
    ),
  ];
  if (r.e2e.deno.length > 0) {
    const deno = throughputRow(
      "3",
      `end to end, ${e2eMb} MiB: relay on Deno vs relay on Node (same Worker, same R2)`,
      r.e2e.deno,
      r.e2e.node,
      0.5,
      `Deno vs HTTP floor ${(mbps(r.e2e.deno) / mbps(r.e2e.floor)).toFixed(2)}×; relay (Deno) peak RSS ${fmt(peakRss(r.e2e.deno))} MB`,
    );
    rows.push(deno);
  }
  if (r.rssE2e) {
    const peak = r.rssE2e.rssMb ?? 0;
    rows.push({
      id: "4a",
      measure: `relay (Node) peak RSS during a ${rssMb} MiB sftp put → Worker → R2`,
      ours: `${fmt(peak)} MB`,
      baseline: "—",
      ratio: null,
      target: `≤ ${RSS_LIMIT_MB} MB`,
      met: peak <= RSS_LIMIT_MB,
      note:
        `relay bundled, plain node (as deployed: no loader); VmRSS sampled every 100 ms; ran at ${fmt(r.rssE2e.mbps)} MB/s` +
        (r.rssE2eTsx ? `; under tsx (npm run relay) the same upload peaks at ${fmt(r.rssE2eTsx.rssMb ?? 0)} MB` : ""),
    });
  }
  if (r.large) {
    const small = r.large.small.rssMb ?? 0;
    const large = r.large.large.rssMb ?? 0;
    const largeMb = r.settings.largeMb;
    rows.push({
      id: "4b",
      measure: `relay (Node) peak RSS, ${largeMb} MiB vs ${rssMb} MiB put, sink held to ${r.settings.sinkMbps} MB/s`,
      ours: `${fmt(large)} MB`,
      baseline: `${fmt(small)} MB`,
      ratio: small / large,
      target: `≤ ${RSS_LIMIT_MB} MB, flat`,
      met: large <= RSS_LIMIT_MB && large <= small * FLAT_SLACK,
      note: `discarding relay whose part uploads take bytes/${r.settings.sinkMbps} MB/s (the Worker caps files at 512 MiB); ratio = small/large peak, 1.0 = flat; ran at ${fmt(r.large.small.mbps)} and ${fmt(r.large.large.mbps)} MB/s`,
    });
  }
  if (r.logins) rows.push(...loginRows(r.logins));
  return rows;
}
